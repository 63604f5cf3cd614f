package org.netvis.spark;

import java.io.Serializable;
import java.util.Map;

/**
 * One image's results of one step: a row of that step's Parquet table.
 *
 * @param figures every number in the image's results, flattened ({@code methods.saliency.deletion_auc})
 * @param results the image's share of the technique's results.json, as JSON
 * @param error why the image has no results (unreadable), or null
 */
public record ResultRow(int step, String technique, int index, String id, long label, long prediction,
    Map<String, Double> figures, String results, String error) implements Serializable {}

package org.netvis.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.netvis.engine.experiment.Experiment;
import org.netvis.engine.report.Html;

/**
 * The report of a dataset-scale run: per step, how many images succeeded, and every per-image
 * figure summarized over the whole set (mean, min, max) with its histogram, in one HTML page with
 * inline SVG and nothing fetched from elsewhere.
 */
final class DatasetReport {
  static final String FILE = "report.html";
  private static final int BINS = 20;

  private DatasetReport() {}

  static void write(Path out, Experiment e, List<ResultRow> rows, List<Integer> steps, int images, double seconds)
      throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" ")
        .append("content=\"width=device-width, initial-scale=1\"><title>").append(Html.esc(e.name()))
        .append("</title><style>body{font-family:sans-serif;margin:1em;max-width:60em}table{border-collapse:collapse}")
        .append("td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#eee}")
        .append("svg{display:block;max-width:100%}</style></head><body>");
    b.append("<h1>").append(Html.esc(e.name())).append("</h1><p>").append(images).append(" images, ")
        .append(String.format("%.1f", seconds)).append(" s on Spark; model ").append(Html.esc(e.model()))
        .append(". Tables: <code>STEP/results.parquet</code>, one row per image; arrays: <code>STEP/arrays/ID/</code>.</p>");
    for (int s : steps) {
      String technique = e.steps().get(s).technique();
      List<ResultRow> mine = rows.stream().filter(r -> r.step() == s).toList();
      long failed = mine.stream().filter(r -> r.error() != null).count();
      b.append("<h2>").append(s).append(" ").append(Html.esc(technique)).append("</h2><p>")
          .append(mine.size() - failed).append(" images with results, ").append(failed).append(" unreadable</p>");
      Map<String, List<Double>> byFigure = new TreeMap<>();
      for (ResultRow r : mine) {
        r.figures().forEach((k, v) -> {
          if (Double.isFinite(v)) {
            byFigure.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
          }
        });
      }
      if (byFigure.isEmpty()) {
        continue;
      }
      b.append("<table><tr><th>figure</th><th>images</th><th>mean</th><th>min</th><th>max</th><th>histogram</th></tr>");
      for (Map.Entry<String, List<Double>> f : byFigure.entrySet()) {
        List<Double> v = f.getValue();
        double min = v.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = v.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        double mean = v.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        b.append("<tr><th style=\"text-align:left\">").append(Html.esc(f.getKey())).append("</th><td>").append(v.size())
            .append("</td><td>").append(String.format("%.4g", mean)).append("</td><td>").append(String.format("%.4g", min))
            .append("</td><td>").append(String.format("%.4g", max)).append("</td><td>").append(histogram(v, min, max))
            .append("</td></tr>");
      }
      b.append("</table>");
    }
    b.append("</body></html>\n");
    Files.writeString(out.resolve(FILE), b.toString());
  }

  /** A 200 x 40 bar chart of the values in {@link #BINS} equal bins. */
  static String histogram(List<Double> values, double min, double max) {
    int[] counts = new int[BINS];
    for (double v : values) {
      int bin = max > min ? (int) Math.min(BINS - 1, Math.floor((v - min) / (max - min) * BINS)) : 0;
      counts[bin]++;
    }
    int top = java.util.Arrays.stream(counts).max().orElse(1);
    StringBuilder b = new StringBuilder("<svg width=\"200\" height=\"40\" viewBox=\"0 0 200 40\" role=\"img\">");
    for (int i = 0; i < BINS; i++) {
      double h = 38.0 * counts[i] / top;
      b.append(String.format("<rect x=\"%d\" y=\"%.1f\" width=\"9\" height=\"%.1f\" fill=\"#4a7\"/>", i * 10, 39 - h, h));
    }
    return b.append("</svg>").toString();
  }
}

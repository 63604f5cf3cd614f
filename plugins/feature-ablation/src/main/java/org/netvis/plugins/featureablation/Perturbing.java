package org.netvis.plugins.featureablation;

import java.util.function.Function;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Tensor;

/**
 * What every perturbation method takes from its parameters: the context, the baseline whose values an
 * absent feature takes, the features of a batch, and how many perturbed images one forward pass scores.
 */
record Perturbing(AttributionContext ctx, Baseline baseline, Function<Tensor, FeatureMask> masks, int perBatch) {
  static Perturbing of(AttributionContext ctx, String features, int gridSize, int segments, double compactness,
      String baseline, double blurSigma, int perBatch) {
    // Checked when the method is created, so before any step of an experiment runs.
    return new Perturbing(ctx, Baseline.of("baseline", baseline, blurSigma, ctx),
        Masks.of(features, gridSize, segments, compactness, ctx), perBatch);
  }
}

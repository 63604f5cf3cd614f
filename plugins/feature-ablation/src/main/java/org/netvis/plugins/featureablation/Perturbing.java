package org.netvis.plugins.featureablation;

import java.util.function.Function;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Tensor;

/**
 * What every perturbation method takes from its parameters: the context, the baseline whose values an
 * absent feature takes, the features of a batch, what a perturbed image is scored by, and how many
 * perturbed images one forward pass scores.
 */
record Perturbing(AttributionContext ctx, Baseline baseline, Function<Tensor, FeatureMask> masks,
    Objective objective, int perBatch) {
  /** A method that attributes each image's target score. */
  static Perturbing of(AttributionContext ctx, String features, int gridSize, int segments, double compactness,
      String baseline, double blurSigma, int perBatch) {
    // Checked when the method is created, so before any step of an experiment runs.
    return new Perturbing(ctx, Baseline.of("baseline", baseline, blurSigma, ctx),
        Masks.of(features, gridSize, segments, compactness, ctx), Objective.targetScore(ctx.engine()), perBatch);
  }

  Perturbing withObjective(Objective other) {
    return new Perturbing(ctx, baseline, masks, other, perBatch);
  }

  /** The objective of images {@code job} in [0, jobs), each written by {@code perturbation}, a batch at a time. */
  double[] scores(long[] imageShape, int jobs, PerturbedScores.Perturbation perturbation) {
    return PerturbedScores.of(objective, imageShape, jobs, perturbation, perBatch);
  }
}

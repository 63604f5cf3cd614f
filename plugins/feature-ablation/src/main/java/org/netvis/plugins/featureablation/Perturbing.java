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
  /** Writes perturbed image {@code job} into {@code slot} at {@code offset} and returns its target class. */
  interface Perturbation {
    long write(int job, float[] slot, int offset);
  }

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

  /**
   * The objective of perturbed images {@code job} in [0, jobs) (each for its target), each written by
   * {@code perturbation}, {@code perBatch} images per forward pass.
   */
  double[] scores(long[] imageShape, int jobs, Perturbation perturbation) {
    int item = (int) (imageShape[1] * imageShape[2] * imageShape[3]);
    double[] out = new double[jobs];
    float[] buffer = new float[Math.min(perBatch, jobs) * item];
    for (int start = 0; start < jobs; start += perBatch) {
      int count = Math.min(jobs, start + perBatch) - start;
      float[] slots = count * item == buffer.length ? buffer : new float[count * item];
      long[] targets = new long[count];
      for (int j = 0; j < count; j++) {
        targets[j] = perturbation.write(start + j, slots, j * item);
      }
      long[] shape = imageShape.clone();
      shape[0] = count;
      System.arraycopy(objective.of(new Tensor(shape, slots), targets), 0, out, start, count);
    }
    return out;
  }
}

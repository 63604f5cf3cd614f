package org.netvis.plugins.featureablation;

import org.netvis.engine.tensor.Tensor;

/** The objective of a sequence of perturbed images, made one after the other and scored in batches. */
final class PerturbedScores {
  private PerturbedScores() {}

  /** Writes perturbed image {@code job} into {@code slot} at {@code offset} and returns its target class. */
  interface Perturbation {
    long write(int job, float[] slot, int offset);
  }

  /** The objective of perturbed image j (for its target) for j in [0, jobs), {@code perBatch} images per pass. */
  static double[] of(Objective objective, long[] imageShape, int jobs, Perturbation perturbation, int perBatch) {
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
      double[] scores = objective.of(new Tensor(shape, slots), targets);
      System.arraycopy(scores, 0, out, start, count);
    }
    return out;
  }
}

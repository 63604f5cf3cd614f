package org.netvis.plugins.featureablation;

import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;

/**
 * A linear surrogate of the target score over coalitions of features (KernelSHAP, LIME): each image's
 * coalitions z, the images with z's features and the baseline elsewhere scored, a linear model fitted
 * to the scores, each feature attributed its coefficient.
 */
abstract class Surrogate implements Attribution {
  final Perturbing setup;

  Surrogate(Perturbing setup) {
    this.setup = setup;
  }

  /** Image i's coalitions of its {@code features} features, [samples][features]. */
  abstract boolean[][] coalitions(int image, int features);

  /**
   * The coefficients fitted to the coalitions' scores; {@code cosines} holds each coalition image's
   * cosine similarity to the input where {@link #usesCosines} asks for it, else null.
   */
  abstract double[] fit(boolean[][] z, double[] scores, double[] cosines);

  boolean usesCosines() {
    return false;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    FeatureMask mask = setup.masks().apply(inputs);
    int channels = (int) inputs.dim(1);
    int plane = (int) (inputs.dim(2) * inputs.dim(3));
    int item = inputs.itemSize();
    float[] x = inputs.data();
    float[] b = setup.baseline().ofImages(inputs, setup.ctx()).data();
    float[] out = new float[n * item];
    for (int i = 0; i < n; i++) {
      int[][] features = mask.of(i, n);
      int m = features.length;
      boolean[][] z = coalitions(i, m);
      double[] cosines = usesCosines() ? new double[z.length] : null;
      int image = i;
      double[] scores = setup.scores(inputs.shape(), z.length, (job, slot, offset) -> {
        System.arraycopy(b, image * item, slot, offset, item);
        for (int f = 0; f < m; f++) {
          if (z[job][f]) {
            FeatureMask.copy(features[f], channels, plane, x, image * item, slot, offset);
          }
        }
        if (cosines != null) {
          cosines[job] = cosine(x, image * item, slot, offset, item);
        }
        return targets[image];
      });
      FeatureMask.paint(features, fit(z, scores, cosines), channels, plane, out, i * item);
    }
    return new Tensor(inputs.shape(), out);
  }

  /** PyTorch's CosineSimilarity of two flattened images (each norm held at least 1e-8). */
  private static double cosine(float[] a, int aOffset, float[] b, int bOffset, int length) {
    double dot = 0;
    double aa = 0;
    double bb = 0;
    for (int k = 0; k < length; k++) {
      double u = a[aOffset + k];
      double v = b[bOffset + k];
      dot += u * v;
      aa += u * u;
      bb += v * v;
    }
    return dot / (Math.max(Math.sqrt(aa), 1e-8) * Math.max(Math.sqrt(bb), 1e-8));
  }
}

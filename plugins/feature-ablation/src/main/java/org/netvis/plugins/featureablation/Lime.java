package org.netvis.plugins.featureablation;

import java.util.Random;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Tensor;

/**
 * LIME with Captum's defaults (Ribeiro et al. 2016; Captum's Lime): coalitions that keep each feature
 * with probability 1/2, the images with a coalition's features and the baseline elsewhere scored,
 * each weighted exp(-d^2 / (2 kernel_width^2)) with d the cosine distance between the input and that
 * image, and a Lasso (alpha 0.01, an intercept) of the scores on the coalitions gives each feature its
 * coefficient. Each image draws from its own generator.
 */
final class Lime implements Attribution {
  private final AttributionContext ctx;
  private final Parameters.Lime p;
  private final Baseline baseline;
  private final java.util.function.Function<Tensor, FeatureMask> masks;

  Lime(AttributionContext ctx, Parameters.Lime p) {
    this.ctx = ctx;
    this.p = p;
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
    this.masks = Masks.of(p.features(), p.gridSize(), p.segments(), p.compactness(), ctx);
  }

  /** Image i's coalitions, [n_samples][M], as {@link #attribute} draws them. */
  boolean[][] coalitions(int image, int features) {
    Random random = SeededRandom.forItem(ctx.seed(), ctx.itemIndex(image));
    boolean[][] out = new boolean[p.nSamples()][features];
    for (boolean[] z : out) {
      for (int f = 0; f < features; f++) {
        z[f] = random.nextDouble() < 0.5;
      }
    }
    return out;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    FeatureMask mask = masks.apply(inputs);
    int channels = (int) inputs.dim(1);
    int plane = (int) (inputs.dim(2) * inputs.dim(3));
    int item = inputs.itemSize();
    float[] x = inputs.data();
    float[] b = baseline.ofImages(inputs, ctx).data();
    float[] out = new float[n * item];
    for (int i = 0; i < n; i++) {
      int[][] features = mask.of(i, n);
      int m = features.length;
      boolean[][] z = coalitions(i, m);
      double[] weights = new double[z.length];
      int image = i;
      double[] scores = PerturbedScores.of(ctx.engine(), inputs.shape(), z.length, (job, slot, offset) -> {
        System.arraycopy(b, image * item, slot, offset, item);
        for (int f = 0; f < m; f++) {
          if (z[job][f]) {
            FeatureMask.copy(features[f], channels, plane, x, image * item, slot, offset);
          }
        }
        double distance = 1 - cosine(x, image * item, slot, offset, item);
        weights[job] = Math.exp(-distance * distance / (2 * p.kernelWidth() * p.kernelWidth()));
        return targets[image];
      }, p.perturbationsPerEval());
      FeatureMask.paint(features, Lasso.fit(z, scores, weights, p.alpha()), channels, plane, out, i * item);
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

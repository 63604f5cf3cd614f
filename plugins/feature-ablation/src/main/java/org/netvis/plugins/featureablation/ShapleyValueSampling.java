package org.netvis.plugins.featureablation;

import java.util.Random;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Tensor;

/**
 * Shapley value sampling with Captum's semantics (Castro et al. 2009): for each of {@code n_samples}
 * random orders of the features, start from the baseline and add the image's features one at a time
 * in that order; each feature is attributed its mean marginal change of the target score. Each image
 * draws its orders from its own generator (the step's seed and its data-set index), a Fisher-Yates
 * shuffle of 0..M-1 per order.
 */
final class ShapleyValueSampling implements Attribution {
  private final AttributionContext ctx;
  private final Parameters.Shapley p;
  private final Perturbing setup;

  ShapleyValueSampling(AttributionContext ctx, Parameters.Shapley p) {
    this.ctx = ctx;
    this.p = p;
    this.setup = Perturbing.of(ctx, p.features(), p.gridSize(), p.segments(), p.compactness(), p.baseline(),
        p.blurSigma(), p.perturbationsPerEval());
  }

  /** Image i's feature orders, [n_samples][M], as {@link #attribute} draws them. */
  int[][] orders(int image, int features) {
    Random random = SeededRandom.forItem(ctx.seed(), ctx.itemIndex(image));
    int[][] orders = new int[p.nSamples()][features];
    for (int[] order : orders) {
      for (int f = 0; f < features; f++) {
        order[f] = f;
      }
      for (int f = features - 1; f > 0; f--) {
        int other = random.nextInt(f + 1);
        int t = order[f];
        order[f] = order[other];
        order[other] = t;
      }
    }
    return orders;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    FeatureMask mask = setup.masks().apply(inputs);
    int channels = (int) inputs.dim(1);
    int plane = (int) (inputs.dim(2) * inputs.dim(3));
    int item = inputs.itemSize();
    int samples = p.nSamples();
    float[] x = inputs.data();
    float[] b = setup.baseline().ofImages(inputs, ctx).data();
    float[] out = new float[n * item];
    for (int i = 0; i < n; i++) {
      int[][] features = mask.of(i, n);
      int m = features.length;
      int[][] orders = orders(i, m);
      int image = i;
      // Job s * (m + 1) + k: order s with its first k features added to the baseline.
      float[] current = new float[item];
      double[] scores = setup.scores(inputs.shape(), samples * (m + 1), (job, slot, offset) -> {
        int k = job % (m + 1);
        if (k == 0) {
          System.arraycopy(b, image * item, current, 0, item);
        } else {
          FeatureMask.copy(features[orders[job / (m + 1)][k - 1]], channels, plane, x, image * item, current, 0);
        }
        System.arraycopy(current, 0, slot, offset, item);
        return targets[image];
      });
      double[] total = new double[m];
      for (int s = 0; s < samples; s++) {
        for (int k = 1; k <= m; k++) {
          total[orders[s][k - 1]] += scores[s * (m + 1) + k] - scores[s * (m + 1) + k - 1];
        }
      }
      for (int f = 0; f < m; f++) {
        total[f] /= samples;
      }
      FeatureMask.paint(features, total, channels, plane, out, i * item);
    }
    return new Tensor(inputs.shape(), out);
  }
}

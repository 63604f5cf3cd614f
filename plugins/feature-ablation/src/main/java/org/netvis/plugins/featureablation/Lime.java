package org.netvis.plugins.featureablation;

import java.util.Random;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.spi.AttributionContext;

/**
 * LIME with Captum's defaults (Ribeiro et al. 2016; Captum's Lime): coalitions that keep each feature
 * with probability 1/2, the images with a coalition's features and the baseline elsewhere scored,
 * each weighted exp(-d^2 / (2 kernel_width^2)) with d the cosine distance between the input and that
 * image, and a Lasso (alpha 0.01, an intercept) of the scores on the coalitions gives each feature its
 * coefficient. Each image draws from its own generator.
 */
final class Lime extends Surrogate {
  private final Parameters.Lime p;

  Lime(AttributionContext ctx, Parameters.Lime p) {
    super(Perturbing.of(ctx, p.features(), p.gridSize(), p.segments(), p.compactness(), p.baseline(), p.blurSigma(),
        p.perturbationsPerEval()));
    this.p = p;
  }

  /** Image i's coalitions, [n_samples][M], as {@link #attribute} draws them. */
  @Override
  boolean[][] coalitions(int image, int features) {
    Random random = SeededRandom.forItem(setup.ctx().seed(), setup.ctx().itemIndex(image));
    boolean[][] out = new boolean[p.nSamples()][features];
    for (boolean[] z : out) {
      for (int f = 0; f < features; f++) {
        z[f] = random.nextDouble() < 0.5;
      }
    }
    return out;
  }

  @Override
  boolean usesCosines() {
    return true;
  }

  /** The Lasso, each coalition weighted exp(-d^2 / (2 kernel_width^2)), d its cosine distance to the input. */
  @Override
  double[] fit(boolean[][] z, double[] scores, double[] cosines) {
    double[] weights = new double[z.length];
    for (int k = 0; k < z.length; k++) {
      double distance = 1 - cosines[k];
      weights[k] = Math.exp(-distance * distance / (2 * p.kernelWidth() * p.kernelWidth()));
    }
    return Lasso.fit(z, scores, weights, p.alpha());
  }
}

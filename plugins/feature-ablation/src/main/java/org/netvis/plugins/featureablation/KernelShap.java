package org.netvis.plugins.featureablation;

import java.util.Random;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Tensor;

/**
 * KernelSHAP with Captum's semantics (Lundberg and Lee 2017; Captum's KernelShap, a Lime with the
 * Shapley kernel): coalitions z of the M features, first all of them, then none, then ones whose size
 * k is drawn with probability proportional to (M - 1) / (k (M - k)) and whose members are a uniform
 * k-subset; the image with z's features and the baseline elsewhere is scored; a linear regression with
 * an intercept, weighted 10^6 for the first two coalitions and 1 for the others, as scikit-learn's
 * LinearRegression fits it (weighted centering, then the least-squares solution of least norm), gives
 * each feature its coefficient. Each image draws from its own generator.
 */
final class KernelShap implements Attribution {
  /** Captum's stand-in for the infinite weight of the empty and the full coalition. */
  private static final double END_WEIGHT = 1_000_000.0;

  private final AttributionContext ctx;
  private final Parameters.KernelShap p;
  private final Baseline baseline;
  private final java.util.function.Function<Tensor, FeatureMask> masks;

  KernelShap(AttributionContext ctx, Parameters.KernelShap p) {
    this.ctx = ctx;
    this.p = p;
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
    this.masks = Masks.of(p.features(), p.gridSize(), p.segments(), p.compactness(), ctx);
  }

  /** Image i's coalitions, [n_samples][M] of 0 and 1, as {@link #attribute} draws them. */
  boolean[][] coalitions(int image, int features) {
    Random random = SeededRandom.forItem(ctx.seed(), ctx.itemIndex(image));
    boolean[][] out = new boolean[p.nSamples()][features];
    java.util.Arrays.fill(out[0], true);
    double[] cumulative = new double[Math.max(0, features - 1)];
    double sum = 0;
    for (int k = 1; k < features; k++) {
      sum += (features - 1.0) / (k * (double) (features - k));
      cumulative[k - 1] = sum;
    }
    int[] order = new int[features];
    // With one feature there are no other sizes: the rows after the first two stay empty.
    for (int s = 2; s < out.length && features > 1; s++) {
      double u = random.nextDouble() * sum;
      int k = 1;
      while (k < features - 1 && cumulative[k - 1] <= u) {
        k++;
      }
      // The first k of a partial Fisher-Yates shuffle: a uniform k-subset.
      for (int f = 0; f < features; f++) {
        order[f] = f;
      }
      for (int f = 0; f < k; f++) {
        int other = f + random.nextInt(features - f);
        int t = order[f];
        order[f] = order[other];
        order[other] = t;
        out[s][order[f]] = true;
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
      int image = i;
      double[] scores = PerturbedScores.of(ctx.engine(), inputs.shape(), z.length, (job, slot, offset) -> {
        System.arraycopy(b, image * item, slot, offset, item);
        for (int f = 0; f < m; f++) {
          if (z[job][f]) {
            FeatureMask.copy(features[f], channels, plane, x, image * item, slot, offset);
          }
        }
        return targets[image];
      }, p.perturbationsPerEval());
      FeatureMask.paint(features, fit(z, scores), channels, plane, out, i * item);
    }
    return new Tensor(inputs.shape(), out);
  }

  /**
   * The coefficients of scikit-learn's LinearRegression (with an intercept) fitted to y over the rows
   * of z, weighted 10^6 for the first two rows and 1 for the others.
   */
  static double[] fit(boolean[][] z, double[] y) {
    int rows = z.length;
    int m = z[0].length;
    double[] w = new double[rows];
    double total = 0;
    for (int r = 0; r < rows; r++) {
      w[r] = r < 2 ? END_WEIGHT : 1.0;
      total += w[r];
    }
    double[] xMean = new double[m];
    double yMean = 0;
    for (int r = 0; r < rows; r++) {
      yMean += w[r] * y[r] / total;
      for (int f = 0; f < m; f++) {
        xMean[f] += z[r][f] ? w[r] / total : 0;
      }
    }
    double[][] a = new double[rows][m];
    double[] rhs = new double[rows];
    for (int r = 0; r < rows; r++) {
      double scale = Math.sqrt(w[r]);
      for (int f = 0; f < m; f++) {
        a[r][f] = scale * ((z[r][f] ? 1 : 0) - xMean[f]);
      }
      rhs[r] = scale * (y[r] - yMean);
    }
    RealVector solution = new SingularValueDecomposition(new Array2DRowRealMatrix(a, false)).getSolver()
        .solve(new ArrayRealVector(rhs, false));
    return solution.toArray();
  }
}

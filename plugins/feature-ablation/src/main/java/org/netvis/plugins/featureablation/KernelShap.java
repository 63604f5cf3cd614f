package org.netvis.plugins.featureablation;

import java.util.Random;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.spi.AttributionContext;

/**
 * KernelSHAP with Captum's semantics (Lundberg and Lee 2017; Captum's KernelShap, a Lime with the
 * Shapley kernel): coalitions z of the M features, first all of them, then none, then ones whose size
 * k is drawn with probability proportional to (M - 1) / (k (M - k)) and whose members are a uniform
 * k-subset; the image with z's features and the baseline elsewhere is scored; a linear regression with
 * an intercept, weighted 10^6 for the first two coalitions and 1 for the others, as scikit-learn's
 * LinearRegression fits it (weighted centering, then the least-squares solution of least norm), gives
 * each feature its coefficient. Each image draws from its own generator.
 */
final class KernelShap extends Surrogate {
  /** Captum's stand-in for the infinite weight of the empty and the full coalition. */
  private static final double END_WEIGHT = 1_000_000.0;

  private final Parameters.KernelShap p;

  KernelShap(AttributionContext ctx, Parameters.KernelShap p) {
    super(Perturbing.of(ctx, p.features(), p.gridSize(), p.segments(), p.compactness(), p.baseline(), p.blurSigma(),
        p.perturbationsPerEval()));
    this.p = p;
  }

  /** Image i's coalitions, [n_samples][M] of 0 and 1, as {@link #attribute} draws them. */
  @Override
  boolean[][] coalitions(int image, int features) {
    Random random = SeededRandom.forItem(setup.ctx().seed(), setup.ctx().itemIndex(image));
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
  double[] fit(boolean[][] z, double[] scores, double[] cosines) {
    return fit(z, scores);
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

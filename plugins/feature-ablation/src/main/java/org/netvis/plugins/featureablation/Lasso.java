package org.netvis.plugins.featureablation;

/**
 * scikit-learn's Lasso with an intercept and sample weights, the interpretable model of Captum's Lime:
 * the minimizer of (1 / (2 sum w)) sum_i w_i (y_i - b - x_i . beta)^2 + alpha ||beta||_1, the intercept
 * unpenalized. Cyclic coordinate descent on the weighted-centred data, run until no coefficient moves by
 * more than 1e-12 of the largest (scikit-learn stops at a duality gap of 1e-4; this is the point it
 * approaches).
 */
final class Lasso {
  private Lasso() {}

  private static final int MAX_SWEEPS = 100_000;

  /** The coefficients beta for rows x (features as 0/1), targets y and weights w. */
  static double[] fit(boolean[][] x, double[] y, double[] w, double alpha) {
    int rows = x.length;
    int m = x[0].length;
    double total = 0;
    for (double v : w) {
      total += v;
    }
    double[] xMean = new double[m];
    double yMean = 0;
    for (int r = 0; r < rows; r++) {
      yMean += w[r] * y[r] / total;
      for (int f = 0; f < m; f++) {
        xMean[f] += x[r][f] ? w[r] / total : 0;
      }
    }
    double[][] centred = new double[rows][m];
    double[] residual = new double[rows];
    for (int r = 0; r < rows; r++) {
      for (int f = 0; f < m; f++) {
        centred[r][f] = (x[r][f] ? 1 : 0) - xMean[f];
      }
      residual[r] = y[r] - yMean;
    }
    double[] squares = new double[m];
    for (int f = 0; f < m; f++) {
      for (int r = 0; r < rows; r++) {
        squares[f] += w[r] * centred[r][f] * centred[r][f] / total;
      }
    }
    double[] beta = new double[m];
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      double largestStep = 0;
      double largest = 0;
      for (int f = 0; f < m; f++) {
        if (squares[f] == 0) {
          continue; // a feature that never changes: its coefficient stays 0
        }
        double rho = 0;
        for (int r = 0; r < rows; r++) {
          rho += w[r] * centred[r][f] * (residual[r] + centred[r][f] * beta[f]) / total;
        }
        double next = Math.signum(rho) * Math.max(Math.abs(rho) - alpha, 0) / squares[f];
        double step = next - beta[f];
        if (step != 0) {
          for (int r = 0; r < rows; r++) {
            residual[r] -= centred[r][f] * step;
          }
          beta[f] = next;
        }
        largestStep = Math.max(largestStep, Math.abs(step));
        largest = Math.max(largest, Math.abs(next));
      }
      if (largestStep <= 1e-12 * Math.max(largest, 1e-300)) {
        break;
      }
    }
    return beta;
  }
}

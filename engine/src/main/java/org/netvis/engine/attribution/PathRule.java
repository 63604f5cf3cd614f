package org.netvis.engine.attribution;

import java.util.Arrays;
import org.apache.commons.math3.analysis.integration.gauss.GaussIntegrator;
import org.apache.commons.math3.analysis.integration.gauss.GaussIntegratorFactory;

/**
 * How a path integral from a baseline to the input is approximated: Captum's approximation methods
 * (its {@code approximation_parameters}), shared by integrated gradients and the layer methods that
 * integrate along the same path (conductance, internal influence, layer integrated gradients).
 */
public enum PathRule {
  GAUSSLEGENDRE, RIEMANN_LEFT, RIEMANN_RIGHT, RIEMANN_MIDDLE, RIEMANN_TRAPEZOID;

  /** Points a_k on [0, 1] in ascending order and their weights w_k (summing to 1). */
  public record Points(double[] alphas, double[] weights) {
    public int count() {
      return alphas.length;
    }
  }

  /** The rule's {@code n} points, as Captum's step sizes and alphas for {@code n_steps = n}. */
  public Points points(int n) {
    double[] alphas = new double[n];
    double[] weights = new double[n];
    switch (this) {
      case RIEMANN_LEFT, RIEMANN_RIGHT, RIEMANN_MIDDLE -> {
        double offset = this == RIEMANN_LEFT ? 0 : this == RIEMANN_RIGHT ? 1 : 0.5;
        for (int i = 0; i < n; i++) {
          alphas[i] = (i + offset) / n;
          weights[i] = 1.0 / n;
        }
      }
      case RIEMANN_TRAPEZOID -> {
        if (n < 2) {
          throw new IllegalArgumentException("steps: the trapezoid rule needs at least 2 points, got " + n);
        }
        for (int i = 0; i < n; i++) {
          alphas[i] = (double) i / (n - 1);
          weights[i] = (i == 0 || i == n - 1 ? 0.5 : 1.0) / (n - 1);
        }
      }
      case GAUSSLEGENDRE -> {
        GaussIntegrator g = new GaussIntegratorFactory().legendre(n);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
          order[i] = i;
        }
        // numpy.polynomial.legendre.leggauss lists the nodes in ascending order; so does Captum.
        Arrays.sort(order, (a, c) -> Double.compare(g.getPoint(a), g.getPoint(c)));
        for (int i = 0; i < n; i++) {
          alphas[i] = 0.5 * (g.getPoint(order[i]) + 1);
          weights[i] = 0.5 * g.getWeight(order[i]);
        }
      }
      default -> throw new IllegalStateException(toString());
    }
    return new Points(alphas, weights);
  }
}

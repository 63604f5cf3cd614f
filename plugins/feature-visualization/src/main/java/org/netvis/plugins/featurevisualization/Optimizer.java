package org.netvis.plugins.featurevisualization;

/**
 * Takes one ascent step on a parameter vector from its gradient. One instance per optimized image
 * (Adam keeps moments).
 */
interface Optimizer {
  void ascend(float[] parameters, float[] gradient);

  enum Kind { ADAM, ASCENT }

  static Optimizer create(Kind kind, double learningRate, int size) {
    return kind == Kind.ADAM ? new Adam(learningRate, size) : new NormalizedAscent(learningRate);
  }

  /**
   * Adam (Kingma and Ba 2015) with PyTorch's defaults (betas 0.9, 0.999, eps 1e-8), ascending;
   * Lucid uses it with learning rate 0.05.
   */
  final class Adam implements Optimizer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;
    private final double learningRate;
    private final double[] m;
    private final double[] v;
    private int t;

    Adam(double learningRate, int size) {
      this.learningRate = learningRate;
      this.m = new double[size];
      this.v = new double[size];
    }

    @Override
    public void ascend(float[] p, float[] g) {
      t++;
      double c1 = 1 - Math.pow(BETA1, t);
      double c2 = 1 - Math.pow(BETA2, t);
      for (int i = 0; i < p.length; i++) {
        m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
        v[i] = BETA2 * v[i] + (1 - BETA2) * (double) g[i] * g[i];
        p[i] += (float) (learningRate * (m[i] / c1) / (Math.sqrt(v[i] / c2) + EPS));
      }
    }
  }

  /** The assignment's step: {@code lr * g / ||g||_2}. */
  record NormalizedAscent(double learningRate) implements Optimizer {
    @Override
    public void ascend(float[] p, float[] g) {
      double n = 0;
      for (float x : g) {
        n += (double) x * x;
      }
      n = Math.sqrt(n);
      if (!(n > 0) || !Double.isFinite(n)) {
        throw new IllegalStateException("the gradient is " + (n == 0 ? "all zeros" : "not finite")
            + "; cannot take a normalized step");
      }
      for (int i = 0; i < p.length; i++) {
        p[i] += (float) (learningRate * g[i] / n);
      }
    }
  }
}

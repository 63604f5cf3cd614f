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
   * Lucid uses it with learning rate 0.05. In float32, as {@code torch.optim.Adam} runs on float32
   * parameters: m = m b1 + (1 - b1) g, v = v b2 + (1 - b2) g g, p += (lr / c1) m / (sqrt(v) / sqrt(c2)
   * + eps) with c = 1 - b^t. Moments kept in double took 3.2 ms per step of 151,872 parameters (not
   * vectorized), 16x this (bench/README.md, fifteenth session).
   */
  final class Adam implements Optimizer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final float EPS = 1e-8f;
    private final double learningRate;
    private final float[] m;
    private final float[] v;
    private int t;

    Adam(double learningRate, int size) {
      this.learningRate = learningRate;
      this.m = new float[size];
      this.v = new float[size];
    }

    @Override
    public void ascend(float[] p, float[] g) {
      t++;
      float b1 = (float) BETA1;
      float a1 = (float) (1 - BETA1);
      float b2 = (float) BETA2;
      float a2 = (float) (1 - BETA2);
      float step = (float) (learningRate / (1 - Math.pow(BETA1, t)));
      float c2 = (float) Math.sqrt(1 - Math.pow(BETA2, t));
      for (int i = 0; i < p.length; i++) {
        float mi = m[i] * b1 + a1 * g[i];
        float vi = v[i] * b2 + a2 * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] += step * (mi / ((float) Math.sqrt(vi) / c2 + EPS));
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

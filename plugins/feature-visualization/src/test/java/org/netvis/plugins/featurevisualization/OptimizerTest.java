package org.netvis.plugins.featurevisualization;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Adam against the algorithm of Kingma and Ba (2015), worked out in double precision. */
class OptimizerTest {
  @Test
  void adamAscendsAsThePublishedAlgorithmWithPyTorchsDefaults() {
    int n = 1000;
    Random random = new Random(3);
    float[] p = new float[n];
    double[] expected = new double[n];
    for (int i = 0; i < n; i++) {
      p[i] = (float) random.nextGaussian();
      expected[i] = p[i];
    }
    double lr = 0.05;
    double[] m = new double[n];
    double[] v = new double[n];
    Optimizer adam = Optimizer.create(Optimizer.Kind.ADAM, lr, n);
    for (int t = 1; t <= 6; t++) {
      float[] g = new float[n];
      for (int i = 0; i < n; i++) {
        // Gradients of every scale, zeros included (where the step must be 0 while m is 0).
        g[i] = i % 97 == 0 && t < 3 ? 0f : (float) (random.nextGaussian() * Math.pow(10, i % 7 - 4));
      }
      adam.ascend(p, g);
      for (int i = 0; i < n; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * (double) g[i];
        double mHat = m[i] / (1 - Math.pow(0.9, t));
        double vHat = v[i] / (1 - Math.pow(0.999, t));
        expected[i] += lr * mHat / (Math.sqrt(vHat) + 1e-8);
      }
    }
    double worst = 0;
    for (int i = 0; i < n; i++) {
      // Float32 rounding of the parameter (about 1e-7 of it) and of each step (a few 1e-7 of 0.05).
      double error = Math.abs(p[i] - expected[i]) / (Math.ulp((float) expected[i]) * 4 + 1e-7);
      worst = Math.max(worst, error);
    }
    assertTrue(worst <= 1, "worst error " + worst + " of the allowed rounding");
  }
}

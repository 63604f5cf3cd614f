package org.netvis.engine.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Tensor;

/**
 * Checks a model's derived gradient against central finite differences of its forward pass along
 * random directions: for f(x) = sum(c * logits(x)), compares (f(x + h v) - f(x - h v)) / 2h with
 * the gradient's dot product with v.
 *
 * <p>Each direction is half the gradient's own direction and half a random one, so the directional
 * derivative is large enough to stand above float32 rounding in the forward pass (a purely random
 * direction in 150k dimensions sees only ~1/400 of the gradient), while the random half still
 * probes the components. The step moves each input value by {@code elementStep} on average: small
 * enough that ReLU and max-pool kinks are rarely crossed.
 */
public final class FiniteDifferenceCheck {

  /** The settings of one check. */
  public record Settings(int inputs, int directions, double elementStep, double tolerance, long seed) {
    public static final Settings DEFAULT = new Settings(2, 4, 2e-5, 1e-2, 0);
  }

  /**
   * One direction's comparison. {@code resolvable} is false when the forward pass changed by less
   * than float32 rounding of the logits can show (random-weight networks whose outputs hardly depend
   * on the input): such a finite difference is noise and says nothing about the gradient.
   */
  public record Probe(int input, int direction, double finiteDifference, double analytic, double relativeError,
      boolean resolvable) {}

  /** All comparisons and the verdict over the resolvable ones. */
  public record Report(List<Probe> probes, double maxRelativeError, double tolerance) {
    public boolean passed() {
      return conclusive() && maxRelativeError <= tolerance;
    }

    /** True when at least one direction rose above float32 resolution. */
    public boolean conclusive() {
      return probes.stream().anyMatch(Probe::resolvable);
    }
  }

  /** Changes below this many times the float32 rounding of sum(|c| |logits|) are not resolvable. */
  private static final double RESOLUTION_FACTOR = 1e-5;

  private FiniteDifferenceCheck() {}

  public static Report run(Engine engine, Settings settings) {
    Random random = new Random(settings.seed());
    long c = engine.channels();
    long h = engine.inputHeight();
    long w = engine.inputWidth();
    int n = (int) (c * h * w);
    List<Probe> probes = new ArrayList<>();
    double worst = 0;
    for (int i = 0; i < settings.inputs(); i++) {
      Tensor x = gaussian(random, 1, c, h, w);
      Tensor logits = engine.scores(x);
      Tensor cotangent = gaussian(random, 1, logits.dim(1));
      VjpResult vjp = engine.vjp(x, cotangent);
      for (int d = 0; d < settings.directions(); d++) {
        float[] r = gaussian(random, n).data();
        float[] g = vjp.inputGradient().data();
        double rNorm = norm(r);
        double gNorm = Math.max(norm(g), 1e-30);
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
          v[k] = g[k] / gNorm + r[k] / rNorm;
        }
        double vNorm = norm(v);
        double stepLength = settings.elementStep() * Math.sqrt(n);
        float[] plus = new float[n];
        float[] minus = new float[n];
        for (int k = 0; k < n; k++) {
          double step = stepLength * v[k] / vNorm;
          plus[k] = (float) (x.data()[k] + step);
          minus[k] = (float) (x.data()[k] - step);
        }
        // Both sides in one batch: one forward call, and float32 stored steps are used exactly.
        float[] both = new float[2 * n];
        System.arraycopy(plus, 0, both, 0, n);
        System.arraycopy(minus, 0, both, n, n);
        Tensor out = engine.scores(new Tensor(new long[] {2, c, h, w}, both));
        double fPlus = dot(out.data(), 0, cotangent.data());
        double fMinus = dot(out.data(), cotangent.size(), cotangent.data());
        // Compare against the gradient along the steps actually taken (after float32 rounding).
        double analytic = 0;
        for (int k = 0; k < n; k++) {
          analytic += vjp.inputGradient().data()[k] * ((double) plus[k] - minus[k]);
        }
        analytic /= 2 * stepLength;
        double fd = (fPlus - fMinus) / (2 * stepLength);
        double err = Math.abs(fd - analytic) / Math.max(Math.max(Math.abs(fd), Math.abs(analytic)), 1e-12);
        double scale = absDot(logits.data(), cotangent.data());
        boolean resolvable = Math.abs(fPlus - fMinus) > RESOLUTION_FACTOR * scale;
        probes.add(new Probe(i, d, fd, analytic, err, resolvable));
        if (resolvable) {
          worst = Math.max(worst, err);
        }
      }
    }
    return new Report(probes, worst, settings.tolerance());
  }

  private static double absDot(float[] values, float[] weights) {
    double s = 0;
    for (int k = 0; k < weights.length; k++) {
      s += Math.abs((double) values[k] * weights[k]);
    }
    return s;
  }

  private static double norm(float[] v) {
    double s = 0;
    for (float f : v) {
      s += (double) f * f;
    }
    return Math.sqrt(s);
  }

  private static double norm(double[] v) {
    double s = 0;
    for (double f : v) {
      s += f * f;
    }
    return Math.sqrt(s);
  }

  private static double dot(float[] values, int offset, float[] weights) {
    double s = 0;
    for (int k = 0; k < weights.length; k++) {
      s += (double) values[offset + k] * weights[k];
    }
    return s;
  }

  private static Tensor gaussian(Random random, long... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) random.nextGaussian();
    }
    return t;
  }
}

package org.netvis.plugins.attacks;

import java.util.Random;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.tensor.Tensor;

/** FGSM, PGD and MI-FGSM with torchattacks 3.5's arithmetic, on [0, 1] pixels. */
final class Attacks {
  private Attacks() {}

  /** x + eps * sign(grad), clamped to [0, 1]. */
  static Tensor fgsm(PixelSpaceModel model, Tensor x, long[] labels, boolean targeted, float eps) {
    Tensor g = model.lossGradient(x, labels, targeted);
    float[] out = new float[x.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = clamp01(x.data()[k] + eps * sign(g.data()[k]));
    }
    return new Tensor(x.shape(), out);
  }

  /**
   * One PGD run over a batch: random starts draw per image from {@code seed} and the image's
   * data-set index ({@code itemIndex} of its position in the batch), so batching never changes them.
   * {@code succeeded} (when not null) stops an image once it succeeds (early stopping).
   */
  static Tensor pgd(PixelSpaceModel model, Tensor x, long[] labels, boolean targeted, AttackParameters.Pgd p,
      long seed, java.util.function.IntUnaryOperator itemIndex, java.util.function.BiPredicate<Tensor, Integer> succeeded) {
    int n = (int) x.dim(0);
    int item = x.itemSize();
    float eps = (float) p.epsilon();
    float alpha = (float) p.stepSize();
    float[] adv = x.data().clone();
    if (p.randomStart()) {
      // Each image from its own generator, on its own thread.
      java.util.stream.IntStream.range(0, n).parallel().forEach(i -> randomStart(adv, i * item, (i + 1) * item, p.norm(), eps,
          SeededRandom.forItem(seed, itemIndex.applyAsInt(i))));
    }
    float[] x0 = x.data();
    boolean[] stopped = new boolean[n];
    PixelSpaceModel.Steps steps = model.new Steps();
    for (int step = 0; step < p.steps(); step++) {
      Tensor current = new Tensor(x.shape(), adv);
      if (succeeded != null) {
        for (int i = 0; i < n; i++) {
          stopped[i] |= succeeded.test(current, i);
        }
      }
      float[] g = steps.lossGradient(current, labels, targeted).data();
      if (p.norm() == AttackParameters.Norm.LINF) {
        // On this thread: one vectorized pass, bound by memory, as fast as on two cores, and no threads
        // slowing each other in the JIT's profiled code while it compiles the loop (the first pass took
        // up to 124 ms on two threads, 20 ms on one; bench/README.md, thirty-first session).
        for (int i = 0; i < n; i++) {
          if (!stopped[i]) {
            linfStep(adv, g, x0, i * item, (i + 1) * item, alpha, eps);
          }
        }
      } else {
        // Each image on its own thread: its double-precision norms are bound by arithmetic, not memory.
        java.util.stream.IntStream.range(0, n).parallel().forEach(i -> {
          if (!stopped[i]) {
            l2Step(adv, g, x0, i * item, (i + 1) * item, alpha, eps);
          }
        });
      }
    }
    return new Tensor(x.shape(), adv);
  }

  /**
   * MI-FGSM (Dong et al. 2018, torchattacks' MIFGSM): each step's gradient over its image's mean
   * absolute value, plus decay times the momentum before, is the new momentum, and the image takes an
   * L-inf step along its sign, clamped to the eps ball and [0, 1]. The gradient's scale drops out, so
   * the summed cross-entropy gives torchattacks' (mean) steps. An image whose gradient is all zero
   * keeps its momentum (torchattacks would divide 0 by 0).
   */
  static Tensor mifgsm(PixelSpaceModel model, Tensor x, long[] labels, boolean targeted, AttackParameters.MiFgsm p) {
    int n = (int) x.dim(0);
    int item = x.itemSize();
    float eps = (float) p.epsilon();
    float alpha = (float) p.stepSize();
    float decay = (float) p.decay();
    float[] x0 = x.data();
    float[] adv = x0.clone();
    float[] momentum = new float[adv.length];
    PixelSpaceModel.Steps steps = model.new Steps();
    for (int step = 0; step < p.steps(); step++) {
      float[] g = steps.lossGradient(new Tensor(x.shape(), adv), labels, targeted).data();
      java.util.stream.IntStream.range(0, n).parallel().forEach(i -> {
        int from = i * item;
        double sum = 0;
        for (int k = from; k < from + item; k++) {
          sum += Math.abs(g[k]);
        }
        float mean = (float) (sum / item);
        for (int k = from; k < from + item; k++) {
          momentum[k] = (mean == 0 ? 0f : g[k] / mean) + momentum[k] * decay;
        }
        linfStep(adv, momentum, x0, from, from + item, alpha, eps);
      });
    }
    return new Tensor(x.shape(), adv);
  }

  /**
   * The random start of the image at [from, to): uniform in the L-inf ball, or as torchattacks'
   * PGDL2 does, a Gaussian direction scaled to a uniform fraction of the L2 ball's radius; then [0, 1].
   */
  private static void randomStart(float[] adv, int from, int to, AttackParameters.Norm norm, float eps, Random r) {
    if (norm == AttackParameters.Norm.LINF) {
      for (int k = from; k < to; k++) {
        adv[k] = clamp01(adv[k] + (float) (r.nextDouble() * 2 - 1) * eps);
      }
      return;
    }
    double[] d = new double[to - from];
    double sumOfSquares = 0;
    for (int k = 0; k < d.length; k++) {
      d[k] = r.nextGaussian();
      sumOfSquares += d[k] * d[k];
    }
    double radius = r.nextDouble() * eps / Math.sqrt(sumOfSquares);
    for (int k = 0; k < d.length; k++) {
      adv[from + k] = clamp01(adv[from + k] + (float) (d[k] * radius));
    }
  }

  /** One L-inf step of the image at [from, to): x + alpha * sign(g), within eps of x0 and in [0, 1]. */
  private static void linfStep(float[] adv, float[] g, float[] x0, int from, int to, float alpha, float eps) {
    for (int k = from; k < to; k++) {
      float delta = Math.min(Math.max(adv[k] + alpha * sign(g[k]) - x0[k], -eps), eps);
      adv[k] = clamp01(x0[k] + delta);
    }
  }

  /**
   * One L2 step of the image at [from, to): the gradient over its L2 norm (+1e-10), the perturbation
   * renormed into the eps ball, then [0, 1]. The stepped image goes into g's slot (g[k] is read once,
   * before it is overwritten).
   */
  private static void l2Step(float[] adv, float[] g, float[] x0, int from, int to, float alpha, float eps) {
    double gNorm = 0;
    for (int k = from; k < to; k++) {
      gNorm += (double) g[k] * g[k];
    }
    float scale = (float) (alpha / (Math.sqrt(gNorm) + 1e-10));
    double dNorm = 0;
    for (int k = from; k < to; k++) {
      g[k] = adv[k] + g[k] * scale;
      double d = g[k] - x0[k];
      dNorm += d * d;
    }
    float factor = (float) Math.min(1.0, eps / Math.sqrt(dNorm));
    for (int k = from; k < to; k++) {
      adv[k] = clamp01(x0[k] + (g[k] - x0[k]) * factor);
    }
  }

  private static final float TWO_TO_75 = 0x1p75f;

  /**
   * Math.signum without its branches, so that the JIT vectorizes the loops that use it (10x faster
   * on a PGD step): any nonzero float times 2^150 is at least 2 in magnitude, and 0, -0 and NaN
   * stay what they are, so clamping to [-1, 1] gives signum exactly.
   */
  static float sign(float g) {
    return Math.min(Math.max(g * TWO_TO_75 * TWO_TO_75, -1f), 1f);
  }

  static float clamp01(float v) {
    return Math.min(Math.max(v, 0f), 1f);
  }
}

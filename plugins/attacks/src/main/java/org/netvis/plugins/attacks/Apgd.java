package org.netvis.plugins.attacks;

import java.util.Arrays;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import java.util.stream.IntStream;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * APGD (Croce and Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of
 * diverse parameter-free attacks"), untargeted, with torchattacks 3.5's arithmetic (AutoAttack's own):
 * a random start at the ball's surface, a step of 2 epsilon, momentum 0.75 on the previous move, and
 * checkpoints (after 22% of the steps, then ever closer, by 3% down to 6%) where an image whose loss rose
 * on fewer than rho of the steps since the last one, or whose best loss did not improve since a
 * checkpoint that kept its step, halves its step and restarts from its best point. Each image keeps the
 * last point that fooled the model; images the model gets wrong at the start are left as they are.
 * Random starts come from each image's own generator, so batching changes nothing.
 */
final class Apgd {
  private Apgd() {}

  static Tensor run(PixelSpaceModel model, Tensor x, long[] labels, AttackParameters.Apgd p, long seed,
      IntUnaryOperator itemIndex) {
    int n = (int) x.dim(0);
    int item = x.itemSize();
    Tensor logits = model.logits(x);
    boolean[] robust = new boolean[n];
    Random[] random = new Random[n];
    for (int i = 0; i < n; i++) {
      robust[i] = ClassScores.argmax(logits, i) == labels[i];
      random[i] = SeededRandom.forItem(seed, itemIndex.applyAsInt(i));
    }
    float[] adv = x.data().clone();
    for (int restart = 0; restart < p.restarts(); restart++) {
      int[] attacked = IntStream.range(0, n).filter(i -> robust[i]).toArray();
      if (attacked.length == 0) {
        break;
      }
      Tensor xs = x.items(attacked);
      long[] ys = Arrays.stream(attacked).mapToLong(i -> labels[i]).toArray();
      float[] start = new float[attacked.length * item];
      for (int j = 0; j < attacked.length; j++) {
        float[] delta = startDelta(random[attacked[j]], item, p.norm(), (float) p.epsilon());
        for (int k = 0; k < item; k++) {
          start[j * item + k] = Attacks.clamp01(xs.data()[j * item + k] + delta[k]);
        }
      }
      Single s = single(model, xs, ys, start, p);
      for (int j = 0; j < attacked.length; j++) {
        if (!s.robust[j]) {
          robust[attacked[j]] = false;
          System.arraycopy(s.fooling, j * item, adv, attacked[j] * item, item);
        }
      }
    }
    return new Tensor(x.shape(), adv);
  }

  /**
   * One image's random start, before clamping to [0, 1]: L-inf, uniform values in [-1, 1) scaled so
   * that the largest is epsilon; L2, a Gaussian direction of length epsilon.
   */
  static float[] startDelta(Random r, int item, AttackParameters.Norm norm, float eps) {
    float[] t = new float[item];
    if (norm == AttackParameters.Norm.LINF) {
      float max = 0;
      for (int k = 0; k < item; k++) {
        t[k] = 2 * r.nextFloat() - 1;
        max = Math.max(max, Math.abs(t[k]));
      }
      for (int k = 0; k < item; k++) {
        t[k] = eps * t[k] / max;
      }
      return t;
    }
    double sum = 0;
    for (int k = 0; k < item; k++) {
      t[k] = (float) r.nextGaussian();
      sum += (double) t[k] * t[k];
    }
    float length = (float) (Math.sqrt(sum) + 1e-12);
    for (int k = 0; k < item; k++) {
      t[k] = eps * t[k] / length;
    }
    return t;
  }

  /** The last fooling point of each image (its start where none fooled) and whether it stayed robust. */
  private record Single(float[] fooling, boolean[] robust) {}

  /** The loss of each image, whether the model still gets it right, and the loss's gradient. */
  private record Evaluation(float[] loss, boolean[] correct, float[] gradient) {}

  private static Single single(PixelSpaceModel model, Tensor x, long[] y, float[] start, AttackParameters.Apgd p) {
    int m = (int) x.dim(0);
    int item = x.itemSize();
    int steps = p.steps();
    float eps = (float) p.epsilon();
    int firstCheck = Math.max((int) (0.22 * steps), 1);
    int shortestPeriod = Math.max((int) (0.06 * steps), 1);
    int decrease = Math.max((int) (0.03 * steps), 1);
    float[] x0 = x.data();
    float[] adv = start;
    float[] best = adv.clone();
    float[] fooling = adv.clone();
    float[][] lossSteps = new float[steps][m];
    Evaluation e = evaluate(model, x.shape(), adv, y, p.loss());
    float[] grad = e.gradient;
    float[] gradBest = grad.clone();
    boolean[] robust = e.correct.clone();
    float[] lossBest = e.loss.clone();
    float[] stepSize = new float[m];
    Arrays.fill(stepSize, eps * 2f);
    float[] old = adv.clone();
    // Three buffers take turns as the point, the one before it and the next: no allocation per step.
    float[] spare = new float[adv.length];
    int counter = 0;
    int period = firstCheck;
    boolean[] reducedLastCheck = new boolean[m];
    Arrays.fill(reducedLastCheck, true);
    float[] lossBestLastCheck = lossBest.clone();
    for (int i = 0; i < steps; i++) {
      float a = i > 0 ? 0.75f : 1f;
      float[] current = adv;
      float[] previous = old;
      float[] g = grad;
      float[] next = spare;
      IntStream.range(0, m).parallel().forEach(j -> {
        int from = j * item;
        if (p.norm() == AttackParameters.Norm.LINF) {
          linfStep(current, previous, g, x0, next, from, from + item, stepSize[j], a, eps);
        } else {
          l2Step(current, previous, g, x0, next, from, from + item, stepSize[j], a, eps);
        }
      });
      spare = previous;
      old = current;
      adv = next;
      e = evaluate(model, x.shape(), adv, y, p.loss());
      grad = e.gradient;
      for (int j = 0; j < m; j++) {
        robust[j] &= e.correct[j];
        if (!e.correct[j]) {
          System.arraycopy(adv, j * item, fooling, j * item, item);
        }
        lossSteps[i][j] = e.loss[j];
        if (e.loss[j] > lossBest[j]) {
          System.arraycopy(adv, j * item, best, j * item, item);
          System.arraycopy(grad, j * item, gradBest, j * item, item);
          lossBest[j] = e.loss[j];
        }
      }
      counter++;
      if (counter == period) {
        for (int j = 0; j < m; j++) {
          int increases = 0;
          for (int c = 0; c < period; c++) {
            // At the first checkpoint the step before the first is read from the table's last row (still
            // zero), as torchattacks' numpy index -1 reads it.
            increases += lossSteps[i - c][j] > lossSteps[Math.floorMod(i - c - 1, steps)][j] ? 1 : 0;
          }
          boolean oscillating = increases <= period * p.rho();
          boolean noImprovement = !reducedLastCheck[j] && lossBestLastCheck[j] >= lossBest[j];
          boolean reduce = oscillating || noImprovement;
          reducedLastCheck[j] = reduce;
          lossBestLastCheck[j] = lossBest[j];
          if (reduce) {
            stepSize[j] /= 2f;
            System.arraycopy(best, j * item, adv, j * item, item);
            System.arraycopy(gradBest, j * item, grad, j * item, item);
          }
        }
        counter = 0;
        period = Math.max(period - decrease, shortestPeriod);
      }
    }
    return new Single(fooling, robust);
  }

  /** The step's loss, correctness and gradient: CE in one run; DLR reads the logits first. */
  private static Evaluation evaluate(PixelSpaceModel model, long[] shape, float[] pixels, long[] y,
      AttackParameters.Apgd.Loss loss) {
    int m = y.length;
    Tensor images = new Tensor(shape, pixels);
    float[] values = new float[m];
    boolean[] correct = new boolean[m];
    Tensor gradient;
    Tensor logits;
    if (loss == AttackParameters.Apgd.Loss.CE) {
      VjpResult r = model.crossEntropy(images, y);
      logits = r.logits();
      gradient = r.inputGradient();
      int classes = (int) logits.dim(1);
      for (int j = 0; j < m; j++) {
        values[j] = (float) crossEntropy(logits.data(), j * classes, classes, (int) y[j]);
      }
    } else {
      logits = model.logits(images);
      int classes = (int) logits.dim(1);
      float[] cotangent = new float[m * classes];
      for (int j = 0; j < m; j++) {
        values[j] = dlr(logits.data(), j * classes, classes, (int) y[j], cotangent);
      }
      gradient = model.vjp(images, new Tensor(new long[] {m, classes}, cotangent)).inputGradient();
    }
    for (int j = 0; j < m; j++) {
      correct[j] = ClassScores.argmax(logits, j) == y[j];
    }
    return new Evaluation(values, correct, gradient.data());
  }

  /** -log softmax(z)[y] of the row at {@code from}. */
  static double crossEntropy(float[] z, int from, int classes, int y) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      max = Math.max(max, z[from + c]);
    }
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      sum += Math.exp(z[from + c] - max);
    }
    return max + Math.log(sum) - z[from + y];
  }

  /**
   * The DLR loss of the row at {@code from}, -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12) with pi
   * the classes sorted by decreasing logit, and its gradient with respect to the row written into
   * {@code cotangent} at {@code from}.
   */
  static float dlr(float[] z, int from, int classes, int y, float[] cotangent) {
    int first = -1;
    int second = -1;
    int third = -1;
    for (int c = 0; c < classes; c++) {
      float v = z[from + c];
      if (first < 0 || v > z[from + first]) {
        third = second;
        second = first;
        first = c;
      } else if (second < 0 || v > z[from + second]) {
        third = second;
        second = c;
      } else if (third < 0 || v > z[from + third]) {
        third = c;
      }
    }
    int other = first == y ? second : first;
    double numerator = (double) z[from + y] - z[from + other];
    double denominator = (double) z[from + first] - z[from + third] + 1e-12;
    Arrays.fill(cotangent, from, from + classes, 0f);
    cotangent[from + y] += (float) (-1 / denominator);
    cotangent[from + other] += (float) (1 / denominator);
    cotangent[from + first] += (float) (numerator / (denominator * denominator));
    cotangent[from + third] -= (float) (numerator / (denominator * denominator));
    return (float) (-numerator / denominator);
  }

  /**
   * One L-inf step of the image at [from, to): z = P(x + step * sign(g)), then
   * P(x + a (z - x) + (1 - a) (x - x_old)), P the projection onto the ball around x0 and [0, 1].
   */
  private static void linfStep(float[] adv, float[] old, float[] g, float[] x0, float[] out, int from, int to,
      float step, float a, float eps) {
    for (int k = from; k < to; k++) {
      float lo = x0[k] - eps;
      float hi = x0[k] + eps;
      float z = Attacks.clamp01(Math.min(Math.max(adv[k] + step * Attacks.sign(g[k]), lo), hi));
      float moved = adv[k] + (z - adv[k]) * a + (adv[k] - old[k]) * (1 - a);
      out[k] = Attacks.clamp01(Math.min(Math.max(moved, lo), hi));
    }
  }

  /** The L2 step, with AutoAttack's projections (each scales x - x0 to at most eps, then clamps). */
  private static void l2Step(float[] adv, float[] old, float[] g, float[] x0, float[] out, int from, int to,
      float step, float a, float eps) {
    double gNorm = 0;
    for (int k = from; k < to; k++) {
      gNorm += (double) g[k] * g[k];
    }
    float scale = (float) (Math.sqrt(gNorm) + 1e-12);
    for (int k = from; k < to; k++) {
      out[k] = adv[k] + step * g[k] / scale;
    }
    project(out, x0, from, to, eps, 0f);
    for (int k = from; k < to; k++) {
      out[k] = adv[k] + (out[k] - adv[k]) * a + (adv[k] - old[k]) * (1 - a);
    }
    project(out, x0, from, to, eps, 1e-12f);
  }

  /** x0 + d / (|d| + 1e-12) * min(eps, |d| + slack), clamped to [0, 1], with d = v - x0. */
  private static void project(float[] v, float[] x0, int from, int to, float eps, float slack) {
    double sum = 0;
    for (int k = from; k < to; k++) {
      double d = v[k] - x0[k];
      sum += d * d;
    }
    float length = (float) Math.sqrt(sum);
    float factor = Math.min(eps, length + slack) / (length + 1e-12f);
    for (int k = from; k < to; k++) {
      v[k] = Attacks.clamp01(x0[k] + (v[k] - x0[k]) * factor);
    }
  }
}

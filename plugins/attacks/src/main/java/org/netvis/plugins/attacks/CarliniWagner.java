package org.netvis.plugins.attacks;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * The Carlini-Wagner L2 attack (Carlini and Wagner 2017) with torchattacks 3.5's arithmetic, on [0, 1]
 * pixels: the image is 1/2 (tanh(w) + 1), w starts at atanh(2x - 1) and Adam (PyTorch's defaults, the
 * learning rate {@code lr}) minimizes ||adv - x||^2 + c f(logits) per image, with torchattacks' f: the
 * largest of the target row's logits that are not the label's, compared with the label's, each as the
 * largest of that row of one-hot-masked logits (so either counts as at least 0), clamped at -kappa. The
 * result is each image's smallest perturbation that succeeded on the way, else the image itself.
 * Every tenth of the steps, an image whose cost rose since the last check stops: torchattacks checks
 * the batch's summed cost and stops the whole batch, which is what netvis does for a batch of one, so
 * that how images are batched does not change them.
 */
final class CarliniWagner {
  private CarliniWagner() {}

  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float ADAM_EPS = 1e-8f;

  static Tensor run(PixelSpaceModel model, Tensor x, long[] labels, boolean targeted, AttackParameters.Cw p) {
    int n = (int) x.dim(0);
    int item = x.itemSize();
    float[] x0 = x.data();
    float[] w = new float[x0.length];
    for (int k = 0; k < w.length; k++) {
      // torchattacks' own atanh, 0.5 log((1 + y) / (1 - y)): pixels at 0 or 1 start at -inf or inf and never move.
      float y = Math.min(Math.max(x0[k] * 2 - 1, -1f), 1f);
      w[k] = 0.5f * (float) Math.log((1 + y) / (1 - y));
    }
    float[] adv = new float[w.length];
    float[] best = x0.clone();
    double[] bestL2 = new double[n];
    Arrays.fill(bestL2, 1e10);
    double[] previousCost = new double[n];
    Arrays.fill(previousCost, 1e10);
    boolean[] stopped = new boolean[n];
    float[] m = new float[w.length];
    float[] v = new float[w.length];
    float c = (float) p.c();
    int checkEvery = Math.max(p.steps() / 10, 1);
    for (int step = 0; step < p.steps(); step++) {
      int[] moving = IntStream.range(0, n).filter(i -> !stopped[i]).toArray();
      if (moving.length == 0) {
        break;
      }
      for (int i : moving) {
        for (int k = i * item; k < (i + 1) * item; k++) {
          adv[k] = 0.5f * ((float) Math.tanh(w[k]) + 1);
        }
      }
      Tensor batch = new Tensor(x.shape(), adv).items(moving);
      Tensor logits = model.logits(batch);
      int classes = (int) logits.dim(1);
      float[] cotangent = new float[moving.length * classes];
      double[] cost = new double[moving.length];
      double[] l2 = new double[moving.length];
      for (int j = 0; j < moving.length; j++) {
        int i = moving[j];
        double sum = 0;
        for (int k = i * item; k < (i + 1) * item; k++) {
          float d = adv[k] - x0[k];
          sum += d * d;
        }
        l2[j] = sum;
        cost[j] = sum + c * margin(logits.data(), j * classes, classes, (int) labels[i], targeted, (float) p.kappa(),
            cotangent);
        for (int k = 0; k < classes; k++) {
          cotangent[j * classes + k] *= c;
        }
      }
      float[] g = model.vjp(batch, new Tensor(new long[] {moving.length, classes}, cotangent)).inputGradient().data();
      int t = step + 1;
      double stepSize = p.lr() / (1 - Math.pow(BETA1, t));
      float correction2 = (float) Math.sqrt(1 - Math.pow(BETA2, t));
      IntStream.range(0, moving.length).parallel().forEach(j -> {
        int i = moving[j];
        for (int k = 0; k < item; k++) {
          int at = i * item + k;
          float tanh = 2 * adv[at] - 1;
          // d cost / d w: (2 (adv - x) + c df/dadv) d adv / d w, d adv / d w = (1 - tanh^2) / 2.
          float grad = (2 * (adv[at] - x0[at]) + g[j * item + k]) * (0.5f * (1 - tanh * tanh));
          m[at] = m[at] * BETA1 + grad * (1 - BETA1);
          v[at] = v[at] * BETA2 + grad * grad * (1 - BETA2);
          float denominator = (float) Math.sqrt(v[at]) / correction2 + ADAM_EPS;
          w[at] = w[at] - (float) stepSize * (m[at] / denominator);
        }
      });
      for (int j = 0; j < moving.length; j++) {
        int i = moving[j];
        long predicted = ClassScores.argmax(logits, j);
        boolean success = targeted ? predicted == labels[i] : predicted != labels[i];
        if (success && bestL2[i] > l2[j]) {
          bestL2[i] = l2[j];
          System.arraycopy(adv, i * item, best, i * item, item);
        }
        if (step % checkEvery == 0) {
          stopped[i] = cost[j] > previousCost[i];
          previousCost[i] = cost[j];
        }
      }
    }
    return new Tensor(x.shape(), best);
  }

  /**
   * torchattacks' f of one row of logits, written into {@code cotangent}'s row as its gradient:
   * real = max(onehot * z), other = max((1 - onehot) * z) (each at least 0, the masked entries being 0),
   * f = clamp(real - other, min = -kappa) untargeted, clamp(other - real, min = -kappa) targeted; the
   * gradient flows to the entry each max picked where that entry is the row's own, and not at all where
   * the clamp holds f at -kappa.
   */
  static float margin(float[] logits, int from, int classes, int label, boolean targeted, float kappa,
      float[] cotangent) {
    float real = Math.max(logits[from + label], 0f);
    int otherAt = -1;
    float other = 0f;
    for (int k = 0; k < classes; k++) {
      if (k != label && logits[from + k] > other) {
        other = logits[from + k];
        otherAt = k;
      }
    }
    float difference = targeted ? other - real : real - other;
    Arrays.fill(cotangent, from, from + classes, 0f);
    if (difference >= -kappa) {
      float sign = targeted ? -1f : 1f;
      if (logits[from + label] > 0) {
        cotangent[from + label] += sign;
      }
      if (otherAt >= 0) {
        cotangent[from + otherAt] -= sign;
      }
    }
    return Math.max(difference, -kappa);
  }


}

package org.netvis.plugins.attacks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * DeepFool (Moosavi-Dezfooli et al. 2016) with torchattacks 3.5's arithmetic, on [0, 1] pixels: while
 * an image is still classified as its label (at most {@code steps} times), it moves to the nearest
 * boundary of the model linearized at it, among the label's boundaries with the candidate classes: with
 * f'_k = f_k - f_label and w'_k = grad f_k - grad f_label, the class l of least |f'_k| / ||w'_k||, and
 * the step (1 + overshoot) |f'_l| w'_l / ||w'_l||^2, then [0, 1]. torchattacks takes every class as a
 * candidate; the paper's code and Foolbox the 10 most likely at the start, netvis' default. Where a
 * step changes no pixel (an image on a boundary within float32 rounding, f'_l about 0), torchattacks
 * would repeat it until its steps run out, the image still on the boundary; netvis takes the whole
 * perturbation (1 + overshoot) times instead, as the paper's code applies its overshoot, once, and
 * stops the image if its next step changes nothing either.
 */
final class DeepFool {
  private DeepFool() {}

  /** The adversarial images and the steps each image took (0: misclassified from the start). */
  record Result(Tensor adversarial, int[] steps) {}

  static Result run(PixelSpaceModel model, Tensor x, long[] labels, AttackParameters.DeepFool p) {
    int n = (int) x.dim(0);
    int item = x.itemSize();
    float[] adv = x.data().clone();
    long[][] candidates = candidates(model.logits(x), labels, p.candidates());
    boolean[] active = new boolean[n];
    Arrays.fill(active, true);
    int[] taken = new int[n];
    boolean[] overshot = new boolean[n];
    for (int step = 0; step < p.steps(); step++) {
      int[] moving = java.util.stream.IntStream.range(0, n).filter(i -> active[i]).toArray();
      if (moving.length == 0) {
        break;
      }
      Tensor logits = model.logits(new Tensor(x.shape(), adv).items(moving));
      int classes = (int) logits.dim(1);
      List<Integer> stepping = new ArrayList<>();
      for (int j = 0; j < moving.length; j++) {
        if (ClassScores.argmax(logits, j) != labels[moving[j]]) {
          active[moving[j]] = false;
        } else {
          stepping.add(j);
        }
      }
      if (stepping.isEmpty()) {
        break;
      }
      Nearest[] nearest = new Nearest[n];
      // Rows (image, class), each image's label first: its gradient is what the candidates' are taken against.
      List<int[]> rows = new ArrayList<>();
      for (int j : stepping) {
        int i = moving[j];
        nearest[i] = new Nearest(logits.data(), j * classes, labels[i], item);
        rows.add(new int[] {i, (int) labels[i]});
        for (long k : candidates[i]) {
          rows.add(new int[] {i, (int) k});
        }
      }
      for (int start = 0; start < rows.size(); start += p.batchSize()) {
        List<int[]> chunk = rows.subList(start, Math.min(rows.size(), start + p.batchSize()));
        int[] images = chunk.stream().mapToInt(r -> r[0]).toArray();
        long[] chunkClasses = chunk.stream().mapToLong(r -> r[1]).toArray();
        VjpResult g = model.vjp(new Tensor(x.shape(), adv).items(images), ClassScores.oneHot(chunkClasses,
            logits.dim(1)));
        for (int r = 0; r < chunk.size(); r++) {
          nearest[images[r]].add((int) chunkClasses[r], g.inputGradient().data(), r * item);
        }
      }
      for (int j : stepping) {
        int i = moving[j];
        taken[i]++;
        if (!nearest[i].step(adv, i * item, (float) p.overshoot())) {
          // On a boundary within rounding: this step, and every later one, is below the pixels' resolution.
          // The paper's overshoot of the whole perturbation takes the image across once; else it stops.
          if (overshot[i]) {
            active[i] = false;
          } else {
            overshoot(adv, x.data(), i * item, item, (float) p.overshoot());
            overshot[i] = true;
          }
        }
      }
    }
    return new Result(new Tensor(x.shape(), adv), taken);
  }

  /** x0 + (1 + overshoot) (adv - x0), clamped to [0, 1]: the overshoot of the DeepFool paper's code. */
  private static void overshoot(float[] adv, float[] x0, int from, int count, float overshoot) {
    for (int k = from; k < from + count; k++) {
      adv[k] = Attacks.clamp01(x0[k] + (1 + overshoot) * (adv[k] - x0[k]));
    }
  }

  /**
   * Per image, the classes other than its label whose boundaries it considers: the {@code count} with
   * the highest logits at the start (ties to the lower class), or all in class order for 0.
   */
  static long[][] candidates(Tensor logits, long[] labels, int count) {
    int n = (int) logits.dim(0);
    int classes = (int) logits.dim(1);
    long[][] out = new long[n][];
    for (int i = 0; i < n; i++) {
      int row = i;
      long label = labels[i];
      java.util.stream.IntStream others = java.util.stream.IntStream.range(0, classes).filter(k -> k != label);
      if (count > 0 && count < classes - 1) {
        others = others.boxed().sorted((a, b) -> {
          int byScore = Float.compare(logits.data()[row * classes + b], logits.data()[row * classes + a]);
          return byScore != 0 ? byScore : Integer.compare(a, b);
        }).limit(count).mapToInt(Integer::intValue);
      }
      out[i] = others.mapToLong(k -> k).toArray();
    }
    return out;
  }



  /** One image's search for its nearest linearized boundary, fed its label's gradient first, then each candidate's. */
  private static final class Nearest {
    private final float[] logits;
    private final int offset;
    private final int label;
    private final float[] labelGradient;
    private final float[] best;
    private double bestValue = Double.POSITIVE_INFINITY;
    private double bestScore;
    private double bestNormSquared;

    Nearest(float[] logits, int offset, long label, int item) {
      this.logits = logits;
      this.offset = offset;
      this.label = (int) label;
      this.labelGradient = new float[item];
      this.best = new float[item];
    }

    void add(int k, float[] gradients, int from) {
      if (k == label) {
        System.arraycopy(gradients, from, labelGradient, 0, labelGradient.length);
        return;
      }
      float score = logits[offset + k] - logits[offset + label];
      double normSquared = 0;
      for (int j = 0; j < labelGradient.length; j++) {
        float w = gradients[from + j] - labelGradient[j];
        normSquared += (double) w * w;
      }
      double value = Math.abs(score) / Math.sqrt(normSquared);
      // The first of equal values, as torch.min over the classes in order.
      if (value < bestValue) {
        bestValue = value;
        bestScore = score;
        bestNormSquared = normSquared;
        for (int j = 0; j < best.length; j++) {
          best[j] = gradients[from + j] - labelGradient[j];
        }
      }
    }

    /** adv + (1 + overshoot) |f'_l| w'_l / ||w'_l||^2, clamped to [0, 1]; whether any pixel changed. */
    boolean step(float[] adv, int from, float overshoot) {
      float scale = (float) (Math.abs(bestScore) / bestNormSquared);
      boolean moved = false;
      for (int j = 0; j < best.length; j++) {
        float before = adv[from + j];
        adv[from + j] = Attacks.clamp01(before + (1 + overshoot) * (scale * best[j]));
        moved |= adv[from + j] != before;
      }
      return moved;
    }
  }
}

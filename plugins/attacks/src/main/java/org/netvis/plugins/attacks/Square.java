package org.netvis.plugins.attacks;

import java.util.Arrays;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import java.util.stream.IntStream;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * The Square attack (Andriushchenko et al. 2020, "Square Attack: a query-efficient black-box
 * adversarial attack via random search"), L-inf, with torchattacks 3.5's arithmetic (AutoAttack's
 * own): it reads only the model's scores, never a gradient. Each image starts from vertical stripes of
 * +-epsilon; each query draws a square of side s (shrinking on the paper's schedule from p_init of the
 * image) and a sign per channel, moves the square's pixels to that side of the ball, and keeps the
 * candidate where the loss fell or the model is already fooled. An image stops once fooled; images the
 * model gets wrong (targeted: already puts in the target) at the start are left as they are, and so
 * is every image the attack does not fool (torchattacks returns the clean image for those).
 *
 * <p>One difference, on purpose: torchattacks draws one square and one set of signs per query for the
 * whole batch, so an image's result depends on the images beside it; netvis draws them per image from
 * the image's own generator ({@link Draws}), so batching changes nothing.
 */
final class Square {
  private Square() {}

  /** The adversarial images and, per image, the queries it took (torchattacks' count: 1 + iterations). */
  record Result(Tensor adversarial, int[] queries) {}

  static Result run(PixelSpaceModel model, Tensor x, long[] labels, boolean targeted, AttackParameters.Square p,
      long seed, IntUnaryOperator itemIndex) {
    int n = (int) x.dim(0);
    int item = x.itemSize();
    Tensor logits = model.logits(x);
    boolean[] open = new boolean[n];
    Draws[] draws = new Draws[n];
    for (int i = 0; i < n; i++) {
      long predicted = ClassScores.argmax(logits, i);
      open[i] = targeted ? predicted != labels[i] : predicted == labels[i];
      draws[i] = new Draws(SeededRandom.forItem(seed, itemIndex.applyAsInt(i)), (int) x.dim(1), (int) x.dim(2),
          (int) x.dim(3));
    }
    float[] adv = x.data().clone();
    int[] queries = new int[n];
    for (int restart = 0; restart < p.restarts(); restart++) {
      int[] attacked = IntStream.range(0, n).filter(i -> open[i]).toArray();
      if (attacked.length == 0) {
        break;
      }
      Single s = single(model, x.items(attacked), Arrays.stream(attacked).mapToLong(i -> labels[i]).toArray(),
          targeted, p, Arrays.stream(attacked).mapToObj(i -> draws[i]).toArray(Draws[]::new));
      Tensor after = model.logits(s.best());
      for (int j = 0; j < attacked.length; j++) {
        int i = attacked[j];
        queries[i] += s.queries()[j];
        long predicted = ClassScores.argmax(after, j);
        if (targeted ? predicted == labels[i] : predicted != labels[i]) {
          open[i] = false;
          System.arraycopy(s.best().data(), j * item, adv, i * item, item);
        }
      }
    }
    return new Result(new Tensor(x.shape(), adv), queries);
  }

  private record Single(Tensor best, int[] queries) {}

  /** torchattacks' attack_single_run: random search from the stripes until every image is fooled or the queries run out. */
  private static Single single(PixelSpaceModel model, Tensor x, long[] labels, boolean targeted,
      AttackParameters.Square p, Draws[] draws) {
    int n = (int) x.dim(0);
    int c = (int) x.dim(1);
    int h = (int) x.dim(2);
    int w = (int) x.dim(3);
    int item = x.itemSize();
    int plane = h * w;
    float eps = (float) p.epsilon();
    float[] xs = x.data();
    float[] best = new float[xs.length];
    for (int i = 0; i < n; i++) {
      float[] stripes = draws[i].stripes();
      for (int ch = 0; ch < c; ch++) {
        for (int row = 0; row < h; row++) {
          for (int col = 0; col < w; col++) {
            int k = i * item + ch * plane + row * w + col;
            best[k] = Attacks.clamp01(xs[k] + eps * stripes[ch * w + col]);
          }
        }
      }
    }
    float[][] ml = marginAndLoss(model.logits(new Tensor(x.shape(), best)), labels, targeted, p.loss());
    float[] margin = ml[0];
    float[] loss = ml[1];
    int[] queries = new int[n];
    Arrays.fill(queries, 1);
    float twoEps = (float) (2 * p.epsilon());
    float[] candidate = null; // reused while the same number of images is searched
    for (int iteration = 0; iteration < p.queries(); iteration++) {
      int[] open = IntStream.range(0, n).filter(i -> margin[i] > 0).toArray();
      if (open.length == 0) {
        break;
      }
      int side = Draws.side(iteration, p, c, plane);
      if (candidate == null || candidate.length != open.length * item) {
        candidate = new float[open.length * item];
      }
      for (int j = 0; j < open.length; j++) {
        int i = open[j];
        System.arraycopy(best, i * item, candidate, j * item, item);
        Draws.Patch patch = draws[i].next(side);
        for (int ch = 0; ch < c; ch++) {
          float delta = twoEps * patch.signs()[ch];
          for (int row = patch.top(); row < patch.top() + side; row++) {
            for (int col = patch.left(); col < patch.left() + side; col++) {
              int at = ch * plane + row * w + col;
              float moved = candidate[j * item + at] + delta;
              float original = xs[i * item + at];
              candidate[j * item + at] = Attacks.clamp01(Math.min(Math.max(moved, original - eps), original + eps));
            }
          }
        }
      }
      long[] openLabels = Arrays.stream(open).mapToLong(i -> labels[i]).toArray();
      float[][] now = marginAndLoss(model.logits(new Tensor(new long[] {open.length, c, h, w}, candidate)), openLabels,
          targeted, p.loss());
      for (int j = 0; j < open.length; j++) {
        int i = open[j];
        boolean lower = now[1][j] < loss[i];
        if (lower) {
          loss[i] = now[1][j];
        }
        if (lower || now[0][j] <= 0) {
          margin[i] = now[0][j];
          System.arraycopy(candidate, j * item, best, i * item, item);
        }
        queries[i]++;
      }
    }
    return new Single(new Tensor(x.shape(), best), queries);
  }

  /**
   * torchattacks' margin_and_loss: the margin (the label's logit less the largest other one;
   * targeted, the other way round), positive while the image is not yet fooled, and the loss the
   * search lowers: untargeted, the margin itself or minus the cross-entropy of the label; targeted,
   * the cross-entropy of the target.
   */
  static float[][] marginAndLoss(Tensor logits, long[] labels, boolean targeted, AttackParameters.Square.Loss kind) {
    int n = (int) logits.dim(0);
    int classes = (int) logits.dim(1);
    float[] z = logits.data();
    float[] margin = new float[n];
    float[] loss = new float[n];
    for (int i = 0; i < n; i++) {
      int y = (int) labels[i];
      float own = z[i * classes + y];
      float others = Float.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) {
        if (k != y) {
          others = Math.max(others, z[i * classes + k]);
        }
      }
      margin[i] = targeted ? others - own : own - others;
      if (!targeted && kind == AttackParameters.Square.Loss.MARGIN) {
        loss[i] = margin[i];
      } else {
        float crossEntropy = (float) Apgd.crossEntropy(z, i * classes, classes, y);
        loss[i] = targeted ? crossEntropy : -crossEntropy;
      }
    }
    return new float[][] {margin, loss};
  }

  /**
   * One image's random draws, in the order the attack takes them: the stripes' signs (a sign per
   * channel and column), then per query the square's top row and left column (uniform in [0, size -
   * side), torch.randint's range) and a sign per channel.
   */
  static final class Draws {
    /** A query's square: its corner and the sign of each channel's move. */
    record Patch(int top, int left, float[] signs) {}

    private final Random random;
    private final int channels;
    private final int height;
    private final int width;

    Draws(Random random, int channels, int height, int width) {
      this.random = random;
      this.channels = channels;
      this.height = height;
      this.width = width;
    }

    /** +1 or -1 per channel and column, channel-major. */
    float[] stripes() {
      return signs(channels * width);
    }

    Patch next(int side) {
      int top = random.nextInt(Math.max(1, height - side));
      int left = random.nextInt(Math.max(1, width - side));
      return new Patch(top, left, signs(channels));
    }

    private float[] signs(int count) {
      float[] s = new float[count];
      for (int k = 0; k < count; k++) {
        s[k] = random.nextBoolean() ? 1f : -1f;
      }
      return s;
    }

    /**
     * The square's side at a query: round(sqrt(p * area)), at least 1, with p from the paper's schedule
     * (p_init halved at 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 of 10,000, the query count
     * rescaled to 10,000 as torchattacks' resc_schedule does); Python's round, half to even, of
     * p * features / channels in that order.
     */
    static int side(int iteration, AttackParameters.Square p, int channels, int area) {
      int it = (int) ((double) iteration / p.queries() * 10000);
      int[] bounds = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
      double fraction = p.pInit();
      for (int i = 0; i < bounds.length; i++) {
        if (it > bounds[i]) {
          fraction = p.pInit() / (1 << (i + 1));
        }
      }
      return Math.max((int) Math.rint(Math.sqrt(fraction * ((double) channels * area) / channels)), 1);
    }
  }
}

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

  /**
   * torchattacks' attack_single_run: random search from each image's start until every image is fooled
   * or the queries run out; the norm's moves ({@link Moves}) write the start and each query's candidate.
   */
  private static Single single(PixelSpaceModel model, Tensor x, long[] labels, boolean targeted,
      AttackParameters.Square p, Draws[] draws) {
    int n = (int) x.dim(0);
    int item = x.itemSize();
    Moves moves = p.norm() == AttackParameters.Norm.LINF ? new LinfMoves(x.shape(), (float) p.epsilon())
        : new L2Moves(x.shape(), (float) p.epsilon());
    float[] xs = x.data();
    float[] best = new float[xs.length];
    for (int i = 0; i < n; i++) {
      moves.start(xs, i * item, best, i * item, draws[i]);
    }
    float[][] ml = marginAndLoss(model.logits(new Tensor(x.shape(), best)), labels, targeted, p.loss());
    float[] margin = ml[0];
    float[] loss = ml[1];
    int[] queries = new int[n];
    Arrays.fill(queries, 1);
    float[] candidate = null; // reused while the same number of images is searched
    for (int iteration = 0; iteration < p.queries(); iteration++) {
      int[] open = IntStream.range(0, n).filter(i -> margin[i] > 0).toArray();
      if (open.length == 0) {
        break;
      }
      int side = moves.side(Draws.fraction(iteration, p));
      if (candidate == null || candidate.length != open.length * item) {
        candidate = new float[open.length * item];
      }
      for (int j = 0; j < open.length; j++) {
        int i = open[j];
        moves.propose(xs, i * item, best, i * item, candidate, j * item, side, draws[i]);
      }
      long[] openLabels = Arrays.stream(open).mapToLong(i -> labels[i]).toArray();
      long[] shape = x.shape().clone();
      shape[0] = open.length;
      float[][] now = marginAndLoss(model.logits(new Tensor(shape, candidate)), openLabels, targeted, p.loss());
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

  /** One norm's start and query move, on one image's [C, H, W] floats at an offset. */
  private interface Moves {
    void start(float[] x, int at, float[] best, int bestAt, Draws draws);

    /** The square's side for a fraction p of the image. */
    int side(double fraction);

    void propose(float[] x, int at, float[] best, int bestAt, float[] candidate, int candidateAt, int side,
        Draws draws);
  }

  /**
   * L-inf: vertical stripes of +-epsilon to start; each query moves a square of the best point to one
   * side of the ball per channel (2 epsilon, then projected), then into [0, 1].
   */
  private static final class LinfMoves implements Moves {
    private final int c;
    private final int h;
    private final int w;
    private final float eps;
    private final float twoEps;

    LinfMoves(long[] shape, float eps) {
      this.c = (int) shape[1];
      this.h = (int) shape[2];
      this.w = (int) shape[3];
      this.eps = eps;
      this.twoEps = 2 * eps; // torchattacks' 2. * eps, in float32 as the tensor it multiplies
    }

    @Override
    public void start(float[] x, int at, float[] best, int bestAt, Draws draws) {
      float[] stripes = draws.stripes();
      for (int ch = 0; ch < c; ch++) {
        for (int row = 0; row < h; row++) {
          for (int col = 0; col < w; col++) {
            int k = ch * h * w + row * w + col;
            best[bestAt + k] = Attacks.clamp01(x[at + k] + eps * stripes[ch * w + col]);
          }
        }
      }
    }

    @Override
    public int side(double fraction) {
      return Draws.side(fraction, c, h * w);
    }

    @Override
    public void propose(float[] x, int at, float[] best, int bestAt, float[] candidate, int candidateAt, int side,
        Draws draws) {
      System.arraycopy(best, bestAt, candidate, candidateAt, c * h * w);
      Draws.Patch patch = draws.next(side);
      for (int ch = 0; ch < c; ch++) {
        float delta = twoEps * patch.signs()[ch];
        for (int row = patch.top(); row < patch.top() + side; row++) {
          for (int col = patch.left(); col < patch.left() + side; col++) {
            int k = ch * h * w + row * w + col;
            float moved = candidate[candidateAt + k] + delta;
            float original = x[at + k];
            candidate[candidateAt + k] = Attacks.clamp01(Math.min(Math.max(moved, original - eps), original + eps));
          }
        }
      }
    }
  }

  /**
   * L2: a grid of 5 x 5 squares of the paper's pseudo-Gaussian pattern (eta: +1 in one half, -1 in the
   * other, each falling off as 1 / (ring + 1)^2 from its centre) with a sign per channel to start,
   * scaled to the sphere of radius epsilon; each query moves the perturbation's mass from a second
   * square into a first one, renewed with a fresh eta, as torchattacks does, then rescales the whole
   * perturbation to length epsilon and clamps the image to [0, 1].
   */
  private static final class L2Moves implements Moves {
    private final int c;
    private final int h;
    private final int w;
    private final float eps;
    private float[] delta;

    L2Moves(long[] shape, float eps) {
      this.c = (int) shape[1];
      this.h = (int) shape[2];
      this.w = (int) shape[3];
      this.eps = eps;
    }

    @Override
    public void start(float[] x, int at, float[] best, int bestAt, Draws draws) {
      float[] init = new float[c * h * w];
      int s = h / 5;
      int first = (h - s * 5) / 2;
      for (int ty = 0, top = first; ty < h / s; ty++, top += s) {
        for (int tx = 0, left = first; tx < w / s; tx++, left += s) {
          Draws.Tile tile = draws.tile();
          float[] eta = eta(s, tile.transposed());
          for (int ch = 0; ch < c; ch++) {
            for (int r = 0; r < s && top + r < h; r++) {
              for (int q = 0; q < s && left + q < w; q++) {
                init[ch * h * w + (top + r) * w + left + q] += eta[r * s + q] * tile.signs()[ch];
              }
            }
          }
        }
      }
      float length = norm(init, 0, init.length) + 1e-12f;
      for (int k = 0; k < init.length; k++) {
        best[bestAt + k] = Attacks.clamp01(x[at + k] + init[k] / length * eps);
      }
    }

    @Override
    public int side(double fraction) {
      return Draws.l2Side(fraction, c, h * w);
    }

    @Override
    public void propose(float[] x, int at, float[] best, int bestAt, float[] candidate, int candidateAt, int side,
        Draws draws) {
      int plane = h * w;
      int item = c * plane;
      if (delta == null) {
        delta = new float[item];
      }
      for (int k = 0; k < item; k++) {
        delta[k] = best[bestAt + k] - x[at + k];
      }
      Draws.Pair pair = draws.nextPair(side);
      int s = side;
      // The norms torchattacks reads before it changes anything: the whole perturbation, the union of the
      // two squares over all channels, and each channel's first square.
      float image = norm(delta, 0, item);
      double windows = 0;
      float[] first = new float[c];
      for (int ch = 0; ch < c; ch++) {
        double own = 0;
        for (int row = 0; row < h; row++) {
          boolean inFirst = row >= pair.top() && row < pair.top() + s;
          boolean inSecond = row >= pair.top2() && row < pair.top2() + s;
          if (!inFirst && !inSecond) {
            continue;
          }
          for (int col = 0; col < w; col++) {
            boolean one = inFirst && col >= pair.left() && col < pair.left() + s;
            boolean two = inSecond && col >= pair.left2() && col < pair.left2() + s;
            float d = delta[ch * plane + row * w + col];
            if (one || two) {
              windows += (double) d * d;
            }
            if (one) {
              own += (double) d * d;
            }
          }
        }
        first[ch] = (float) Math.sqrt(own);
      }
      float windowNorm = (float) Math.sqrt(windows);
      float[] eta = eta(s, pair.transposed());
      // The new square's length: what the budget has left, shared over the channels, plus what the two
      // squares held.
      float room = Math.max(eps * eps - image * image, 0f) / c + windowNorm * windowNorm;
      float length = (float) Math.sqrt(room);
      float[] moved = new float[s * s];
      for (int ch = 0; ch < c; ch++) {
        double sum = 0;
        for (int r = 0; r < s; r++) {
          for (int q = 0; q < s; q++) {
            float old = delta[ch * plane + (pair.top() + r) * w + pair.left() + q] / (1e-12f + first[ch]);
            moved[r * s + q] = eta[r * s + q] * pair.signs()[ch] + old;
            sum += (double) moved[r * s + q] * moved[r * s + q];
          }
        }
        float movedNorm = (float) Math.sqrt(sum);
        for (int r = 0; r < s; r++) {
          for (int q = 0; q < s; q++) {
            delta[ch * plane + (pair.top2() + r) * w + pair.left2() + q] = 0f;
          }
        }
        for (int r = 0; r < s; r++) {
          for (int q = 0; q < s; q++) {
            delta[ch * plane + (pair.top() + r) * w + pair.left() + q] = moved[r * s + q] / (1e-12f + movedNorm) * length;
          }
        }
      }
      float total = norm(delta, 0, item) + 1e-12f;
      for (int k = 0; k < item; k++) {
        candidate[candidateAt + k] = Attacks.clamp01(x[at + k] + delta[k] / total * eps);
      }
    }

    private static float norm(float[] v, int from, int to) {
      double sum = 0;
      for (int k = from; k < to; k++) {
        sum += (double) v[k] * v[k];
      }
      return (float) Math.sqrt(sum);
    }

    /**
     * The paper's eta for a square of side s: the upper s / 2 rows +1, the rest -1, each half a
     * pattern of rings around its centre weighted 1 / (ring + 1)^2 and normalized, the whole
     * normalized; transposed on the draw's coin.
     */
    static float[] eta(int s, boolean transposed) {
      float[] upper = rectangles(s / 2, s);
      float[] lower = rectangles(s - s / 2, s);
      float[] e = new float[s * s];
      System.arraycopy(upper, 0, e, 0, upper.length);
      for (int k = 0; k < lower.length; k++) {
        e[upper.length + k] = -lower[k];
      }
      float n = norm(e, 0, e.length);
      for (int k = 0; k < e.length; k++) {
        e[k] /= n;
      }
      if (!transposed) {
        return e;
      }
      float[] t = new float[s * s];
      for (int r = 0; r < s; r++) {
        for (int q = 0; q < s; q++) {
          t[q * s + r] = e[r * s + q];
        }
      }
      return t;
    }

    /** torchattacks' eta_rectangles(x, y): rings around the centre of an x by y rectangle, normalized. */
    private static float[] rectangles(int x, int y) {
      float[] d = new float[x * y];
      int cx = x / 2;
      int cy = y / 2;
      for (int ring = 0; ring < Math.max(x / 2 + 1, y / 2 + 1); ring++, cx--, cy--) {
        float weight = 1f / ((float) (ring + 1) * (ring + 1));
        for (int r = Math.max(cx, 0); r < Math.min(cx + 2 * ring + 1, x); r++) {
          for (int q = Math.max(cy, 0); q < Math.min(cy + 2 * ring + 1, y); q++) {
            d[r * y + q] += weight;
          }
        }
      }
      float n = norm(d, 0, d.length);
      if (n > 0) {
        for (int k = 0; k < d.length; k++) {
          d[k] /= n;
        }
      }
      return d;
    }
  }

  /**
   * torchattacks' margin_and_loss: the margin (the label's logit less the largest other one;
   * targeted, the largest other one less the target's), positive while the image is not yet fooled,
   * and the loss the search lowers: the margin itself, or the cross-entropy (untargeted, minus the
   * label's; targeted, the target's).
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
      if (kind == AttackParameters.Square.Loss.MARGIN) {
        loss[i] = margin[i];
      } else {
        float crossEntropy = (float) Apgd.crossEntropy(z, i * classes, classes, y);
        loss[i] = targeted ? crossEntropy : -crossEntropy;
      }
    }
    return new float[][] {margin, loss};
  }

  /**
   * One image's random draws, in the order the attack takes them. L-inf: the stripes' signs (a sign per
   * channel and column), then per query the square's top row and left column (uniform in [0, size -
   * side), torch.randint's range) and a sign per channel. L2: per tile of the starting grid a coin
   * (eta transposed or not) and a sign per channel, then per query two squares' corners, a coin and a
   * sign per channel.
   */
  static final class Draws {
    /** An L-inf query's square: its corner and the sign of each channel's move. */
    record Patch(int top, int left, float[] signs) {}

    /** A tile of the L2 start: whether its eta is transposed, and each channel's sign. */
    record Tile(boolean transposed, float[] signs) {}

    /** An L2 query: the square that receives, the square that gives, eta's coin and each channel's sign. */
    record Pair(int top, int left, int top2, int left2, boolean transposed, float[] signs) {}

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

    Tile tile() {
      boolean transposed = random.nextBoolean();
      return new Tile(transposed, signs(channels));
    }

    Pair nextPair(int side) {
      int top = random.nextInt(Math.max(1, height - side));
      int left = random.nextInt(Math.max(1, width - side));
      int top2 = random.nextInt(Math.max(1, height - side));
      int left2 = random.nextInt(Math.max(1, width - side));
      boolean transposed = random.nextBoolean();
      return new Pair(top, left, top2, left2, transposed, signs(channels));
    }

    private float[] signs(int count) {
      float[] s = new float[count];
      for (int k = 0; k < count; k++) {
        s[k] = random.nextBoolean() ? 1f : -1f;
      }
      return s;
    }

    /**
     * The fraction p of the image a query's square covers: p_init, halved at 10, 50, 200, 500, 1000,
     * 2000, 4000, 6000 and 8000 of 10,000 queries, the query count rescaled to 10,000 as torchattacks'
     * resc_schedule does. The side is then round(sqrt(p * features / channels)), Python's round (half to
     * even), at least 1 for L-inf; at least 3 and odd for L2.
     */
    static double fraction(int iteration, AttackParameters.Square p) {
      int it = (int) ((double) iteration / p.queries() * 10000);
      int[] bounds = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
      double fraction = p.pInit();
      for (int i = 0; i < bounds.length; i++) {
        if (it > bounds[i]) {
          fraction = p.pInit() / (1 << (i + 1));
        }
      }
      return fraction;
    }

    /** round(sqrt(p * features / channels)), at least 1: the L-inf square's side (see {@link #fraction}). */
    static int side(double fraction, int channels, int area) {
      return Math.max((int) Math.rint(Math.sqrt(fraction * ((double) channels * area) / channels)), 1);
    }

    /** The L2 square's side: as L-inf's, but at least 3 and odd. */
    static int l2Side(double fraction, int channels, int area) {
      int s = Math.max(side(fraction, channels, area), 3);
      return s % 2 == 0 ? s + 1 : s;
    }
  }
}

package org.netvis.engine.attribution;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * GradientSHAP's random draws, with Captum's semantics (a noise tunnel over an input-baseline-x-gradient
 * method): for each image, {@code n_samples} draws of a baseline b from a distribution, a point a uniform
 * on [0, 1) and, where {@code stdevs} > 0, Gaussian noise e, giving x' = x + e, b and the point
 * b + a (x' - b). GradientSHAP, its layer and its neuron forms read the same draws.
 *
 * <p>Each image draws from its own generator (the step's seed and its data-set index) in draw order: the
 * baseline's index, a, the baseline's noise where it is {@code uniform}, then e; so batching never
 * changes a draw.
 */
public final class GradientShapDraws {
  public static final String BASELINES = "the baseline distribution, drawn from uniformly: zeros, black, blur and"
      + " uniform count as one baseline each (uniform: fresh pixel noise at every draw), an .npy of shape (C, H, W)"
      + " or (K, C, H, W) in the normalized space as its K images";
  public static final String BLUR_SIGMA = "Gaussian sigma in pixels for the blur baseline";
  public static final String N_SAMPLES = "random (baseline, point) draws per image";
  public static final String STDEVS = "standard deviation of the Gaussian noise added to the input at each draw, in"
      + " the normalized space (Captum's stdevs)";

  private final AttributionContext ctx;
  private final int samples;
  private final double stdevs;
  private final BaselineDistribution distribution;

  /** The draws a step's parameters describe; the baselines' key is {@code baselines}. */
  public GradientShapDraws(AttributionContext ctx, List<String> baselines, double blurSigma, int samples,
      double stdevs) {
    this.ctx = ctx;
    this.samples = samples;
    this.stdevs = stdevs;
    this.distribution = BaselineDistribution.of(baselines, blurSigma, ctx);
  }

  /** The images of the distribution: zeros, black, blur and uniform one each, a file its own. */
  public int distributionSize() {
    return distribution.size();
  }

  /** Draws per image. */
  public int samples() {
    return samples;
  }

  /** One draw of an image: the baseline's index in the distribution, the point a, x' and b. */
  public record Draw(int baseline, float alpha, float[] noisy, float[] base) {}

  /** Each image's draws in order, for tests and reports: what {@link #inChunks} hands out. */
  public List<List<Draw>> of(Tensor inputs) {
    int item = inputs.itemSize();
    BaselineDistribution.Over baselines = distribution.over(inputs);
    List<List<Draw>> out = new ArrayList<>();
    for (int i = 0; i < inputs.dim(0); i++) {
      Random random = generator(i);
      List<Draw> image = new ArrayList<>();
      for (int s = 0; s < samples; s++) {
        image.add(draw(inputs, baselines, i, random, new float[item], new float[item], 0));
      }
      out.add(image);
    }
    return out;
  }

  /**
   * Draws [start, end) of every image's draws, image-major (draw q is image q / samples): x', b, the
   * points b + a (x' - b) and each draw's a. The arrays are the chunk's own until the next chunk of the
   * same size writes over them.
   */
  public record Chunk(int start, int end, int samples, long[] shape, float[] noisy, float[] base, float[] points,
      float[] alphas) {

    /** The chunk's draws. */
    public int count() {
      return end - start;
    }

    /** The image of the chunk's draw d. */
    public int image(int d) {
      return (start + d) / samples;
    }

    /** x' of every draw. */
    public Tensor noisyInputs() {
      return new Tensor(shape, noisy);
    }

    /** b of every draw. */
    public Tensor baselines() {
      return new Tensor(shape, base);
    }

    /** b + a (x' - b) of every draw. */
    public Tensor pointTensor() {
      return new Tensor(shape, points);
    }

    /** Each draw's target: its image's. */
    public long[] targets(long[] imageTargets) {
      long[] out = new long[count()];
      for (int d = 0; d < out.length; d++) {
        out[d] = imageTargets[image(d)];
      }
      return out;
    }

    /**
     * Adds each draw's row of {@code perDraw} (count() rows of equal size) to its image's row of
     * {@code total}; images in parallel, each image's draws in order, so the sums never depend on
     * the chunking beyond rounding.
     */
    public void addToImages(float[] perDraw, double[] total) {
      int item = perDraw.length / count();
      IntStream.range(image(0), image(count() - 1) + 1).parallel().forEach(image -> {
        for (int q = Math.max(start, image * samples); q < Math.min(end, (image + 1) * samples); q++) {
          int src = (q - start) * item;
          int dst = image * item;
          for (int k = 0; k < item; k++) {
            total[dst + k] += perDraw[src + k];
          }
        }
      });
    }
  }

  /**
   * Every image's draws, in chunks of at most {@code size}; the arrays are refilled for every chunk
   * but a shorter last one.
   */
  public void inChunks(Tensor inputs, int size, Consumer<Chunk> chunk) {
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    BaselineDistribution.Over baselines = distribution.over(inputs);
    Random[] generators = new Random[n];
    for (int i = 0; i < n; i++) {
      generators[i] = generator(i);
    }
    int total = n * samples;
    int full = Math.min(size, total);
    float[][] buffers = {new float[full * item], new float[full * item], new float[full * item], new float[full]};
    for (int start = 0; start < total; start += size) {
      int end = Math.min(total, start + size);
      float[][] b = end - start == full ? buffers
          : new float[][] {new float[(end - start) * item], new float[(end - start) * item],
              new float[(end - start) * item], new float[end - start]};
      float[] noisy = b[0];
      float[] base = b[1];
      float[] points = b[2];
      float[] alphas = b[3];
      int first = start;
      // An image's draws in a chunk are consecutive and come from its own generator, in order.
      IntStream.range(first / samples, (end - 1) / samples + 1).parallel().forEach(image -> {
        for (int q = Math.max(first, image * samples); q < Math.min(end, (image + 1) * samples); q++) {
          int offset = (q - first) * item;
          float a = draw(inputs, baselines, image, generators[image], noisy, base, offset).alpha();
          alphas[q - first] = a;
          for (int k = offset; k < offset + item; k++) {
            points[k] = base[k] + a * (noisy[k] - base[k]);
          }
        }
      });
      long[] shape = inputs.shape().clone();
      shape[0] = end - start;
      chunk.accept(new Chunk(start, end, samples, shape, noisy, base, points, alphas));
    }
  }

  /** Gradients with respect to the input at a chunk's points, (count, C, H, W) as one array the caller may keep. */
  public interface PointGradients {
    float[] at(Chunk chunk);
  }

  /**
   * GradientSHAP in the input's space: each image's mean over its draws of the gradient at the point
   * times x' - b, the draws in calls of at most {@code size}.
   */
  public Tensor inputAttributions(Tensor inputs, int size, PointGradients gradients) {
    int item = inputs.itemSize();
    double[] total = new double[inputs.size()];
    inChunks(inputs, size, c -> {
      float[] g = gradients.at(c);
      for (int k = 0; k < c.count() * item; k++) {
        g[k] *= c.noisy()[k] - c.base()[k];
      }
      c.addToImages(g, total);
    });
    float[] out = new float[total.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = (float) (total[k] / samples);
    }
    return new Tensor(inputs.shape(), out);
  }

  /**
   * The mean over each image's draws of {@code values} at x' and at b, for Captum's per-draw deltas
   * sum(attribution) - (F(x') - F(b)) averaged: completeness holds in expectation only, so the delta
   * shrinks with more draws.
   */
  public ConvergenceDelta.Ends means(Tensor inputs, long[] targets, int size, ImageValues values) {
    int n = (int) inputs.dim(0);
    double[] atInputs = new double[n];
    double[] atBaselines = new double[n];
    inChunks(inputs, size, c -> {
      long[] drawTargets = c.targets(targets);
      double[] x = values.at(c.noisyInputs(), drawTargets);
      double[] b = values.at(c.baselines(), drawTargets);
      for (int d = 0; d < c.count(); d++) {
        atInputs[c.image(d)] += x[d] / samples;
        atBaselines[c.image(d)] += b[d] / samples;
      }
    });
    return new ConvergenceDelta.Ends(atInputs, atBaselines);
  }

  /** The next draw of image {@code image}, written into {@code noisy} and {@code base} at {@code offset}. */
  private Draw draw(Tensor inputs, BaselineDistribution.Over baselines, int image, Random random, float[] noisy,
      float[] base, int offset) {
    int j = random.nextInt(distribution.size());
    float alpha = random.nextFloat();
    baselines.write(image, j, random, base, offset);
    int item = inputs.itemSize();
    float[] x = inputs.data();
    for (int k = 0; k < item; k++) {
      float v = x[image * item + k];
      noisy[offset + k] = stdevs > 0 ? (float) (v + stdevs * random.nextGaussian()) : v;
    }
    return new Draw(j, alpha, noisy, base);
  }

  private Random generator(int image) {
    return SeededRandom.forItem(ctx.seed(), ctx.itemIndex(image));
  }
}

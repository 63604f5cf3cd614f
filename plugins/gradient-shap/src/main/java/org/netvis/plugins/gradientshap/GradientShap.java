package org.netvis.plugins.gradientshap;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * GradientSHAP with Captum's semantics (its {@code GradientShap}: a noise tunnel over
 * {@code InputBaselineXGradient}): for each image, {@code n_samples} draws of a baseline b from the
 * distribution, a point a uniform on [0, 1) and, where {@code stdevs} > 0, Gaussian noise e; each draw
 * contributes grad F(b + a (x' - b)) * (x' - b) with x' = x + e, and the attribution is their mean.
 * Each image draws from its own generator (the step's seed and its data-set index) in draw order: the
 * baseline's index, a, the baseline's noise where it is {@code uniform}, then e; so batching never
 * changes a result.
 */
final class GradientShap implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final GradientShapProvider.Parameters p;
  /** The distribution's entries, and the index of each one's first image in it. */
  private final List<Baseline> entries = new ArrayList<>();
  private final int[] firsts;
  private final int count;

  GradientShap(AttributionContext ctx, GradientShapProvider.Parameters p) {
    this.ctx = ctx;
    this.p = p;
    if (p.baselines().isEmpty()) {
      throw new IllegalArgumentException("baselines: the list is empty; expected at least one baseline");
    }
    firsts = new int[p.baselines().size()];
    int k = 0;
    for (int i = 0; i < p.baselines().size(); i++) {
      Baseline b = Baseline.of("baselines[" + i + "]", p.baselines().get(i), p.blurSigma(), ctx);
      entries.add(b);
      firsts[i] = k;
      k += b.count();
    }
    count = k;
  }

  /** The images of the distribution: zeros, black, blur and uniform one each, a file its own. */
  int distributionSize() {
    return count;
  }

  /** One draw of image i: the baseline's index in the distribution, the point, x' and b. */
  record Draw(int baseline, float alpha, float[] noisy, float[] base) {}

  /**
   * The next draw from image {@code image}'s generator, written into {@code noisy} and {@code base} at
   * {@code offset}.
   */
  private Draw draw(Tensor inputs, int image, Random random, float[] noisy, float[] base, int offset) {
    int j = random.nextInt(count);
    float alpha = random.nextFloat();
    int entry = entries.size() - 1;
    while (firsts[entry] > j) {
      entry--;
    }
    entries.get(entry).write(inputs, image, j - firsts[entry], random, base, offset);
    int item = inputs.itemSize();
    float[] x = inputs.data();
    for (int k = 0; k < item; k++) {
      float v = x[image * item + k];
      noisy[offset + k] = p.stdevs() > 0 ? (float) (v + p.stdevs() * random.nextGaussian()) : v;
    }
    return new Draw(j, alpha, noisy, base);
  }

  /** Each image's draws in order, for the tests: what {@link #attribute} computes with. */
  List<List<Draw>> draws(Tensor inputs) {
    int item = inputs.itemSize();
    List<List<Draw>> out = new ArrayList<>();
    for (int i = 0; i < inputs.dim(0); i++) {
      Random random = generator(i);
      List<Draw> image = new ArrayList<>();
      for (int s = 0; s < p.nSamples(); s++) {
        image.add(draw(inputs, i, random, new float[item], new float[item], 0));
      }
      out.add(image);
    }
    return out;
  }

  private Random generator(int image) {
    return SeededRandom.forItem(ctx.seed(), ctx.itemIndex(image));
  }

  /** Receives draws [start, end) (image-major: draw q is image q / n_samples) as x' and b, and each draw's a. */
  private interface Chunk {
    void accept(int start, int end, float[] noisy, float[] base, float[] alphas);
  }

  /**
   * Every image's draws, in chunks of at most {@code size}; the arrays are refilled for every chunk
   * but a shorter last one.
   */
  private void inChunks(Tensor inputs, int size, Chunk chunk) {
    int n = (int) inputs.dim(0);
    int samples = p.nSamples();
    int item = inputs.itemSize();
    Random[] generators = new Random[n];
    for (int i = 0; i < n; i++) {
      generators[i] = generator(i);
    }
    int total = n * samples;
    float[] noisyBuffer = new float[Math.min(size, total) * item];
    float[] baseBuffer = new float[noisyBuffer.length];
    for (int start = 0; start < total; start += size) {
      int end = Math.min(total, start + size);
      boolean full = end - start == noisyBuffer.length / item;
      float[] noisy = full ? noisyBuffer : new float[(end - start) * item];
      float[] base = full ? baseBuffer : new float[noisy.length];
      float[] alphas = new float[end - start];
      int first = start;
      // An image's draws in a chunk are consecutive and come from its own generator, in order.
      IntStream.range(first / samples, (end - 1) / samples + 1).parallel().forEach(image -> {
        for (int q = Math.max(first, image * samples); q < Math.min(end, (image + 1) * samples); q++) {
          alphas[q - first] = draw(inputs, image, generators[image], noisy, base, (q - first) * item).alpha();
        }
      });
      chunk.accept(start, end, noisy, base, alphas);
    }
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    int samples = p.nSamples();
    int item = inputs.itemSize();
    double[] total = new double[n * item];
    Tensor[] gradients = {null}; // the last chunk's, written over by the next one of its size
    int size = ctx.engine().gradientCallSize(p.internalBatchSize());
    inChunks(inputs, size, (start, end, noisy, base, alphas) -> {
      // The chunk's points in base's place, x' - b in noisy's.
      IntStream.range(0, end - start).parallel().forEach(d -> {
        float a = alphas[d];
        for (int k = d * item; k < (d + 1) * item; k++) {
          float difference = noisy[k] - base[k];
          base[k] = base[k] + a * difference;
          noisy[k] = difference;
        }
      });
      long[] shape = inputs.shape().clone();
      shape[0] = end - start;
      long[] drawTargets = new long[end - start];
      for (int q = start; q < end; q++) {
        drawTargets[q - start] = targets[q / samples];
      }
      gradients[0] = TargetGradients.of(ctx.engine(), new Tensor(shape, base), drawTargets, end - start, gradients[0]);
      float[] g = gradients[0].data();
      IntStream.range(start / samples, (end - 1) / samples + 1).parallel().forEach(image -> {
        for (int q = Math.max(start, image * samples); q < Math.min(end, (image + 1) * samples); q++) {
          int src = (q - start) * item;
          for (int k = 0; k < item; k++) {
            total[image * item + k] += (double) g[src + k] * noisy[src + k];
          }
        }
      });
    });
    float[] out = new float[n * item];
    for (int k = 0; k < out.length; k++) {
      out[k] = (float) (total[k] / samples);
    }
    return new Tensor(inputs.shape(), out);
  }

  /**
   * Captum's per-draw deltas sum(attribution of the draw) - (F(x') - F(b)), averaged over each
   * image's draws: the sum of the attributions less the mean of F(x') - F(b) over the same draws.
   * GradientSHAP's completeness holds in expectation only, so the delta shrinks with more draws.
   */
  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    int samples = p.nSamples();
    double[] gap = new double[n];
    int size = Math.max(1, Math.min(p.internalBatchSize(), n * samples));
    inChunks(inputs, size, (start, end, noisy, base, alphas) -> {
      long[] shape = inputs.shape().clone();
      shape[0] = end - start;
      long[] drawTargets = new long[end - start];
      for (int q = start; q < end; q++) {
        drawTargets[q - start] = targets[q / samples];
      }
      double[] atInput = TargetGradients.scores(ctx.engine(), new Tensor(shape, noisy), drawTargets, end - start);
      double[] atBaseline = TargetGradients.scores(ctx.engine(), new Tensor(shape, base), drawTargets, end - start);
      for (int q = start; q < end; q++) {
        gap[q / samples] += (atInput[q - start] - atBaseline[q - start]) / samples;
      }
    });
    int item = attributions.itemSize();
    double[] delta = new double[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int k = i * item; k < (i + 1) * item; k++) {
        sum += attributions.data()[k];
      }
      delta[i] = sum - gap[i];
    }
    return delta;
  }
}

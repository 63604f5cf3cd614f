package org.netvis.plugins.noisetunnel;

import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's NoiseTunnel: the base method on {@code samples} copies of each image with Gaussian noise
 * added, combined by mean, mean of squares or variance. Each image draws its noise from its own
 * seed (the step's seed and the image's data-set index), so batching never changes a result.
 */
final class NoiseTunnel implements Attribution {
  private final long seed;
  private final java.util.function.IntUnaryOperator itemIndex;
  private final Attribution base;
  private final NoiseTunnelProvider.Parameters p;
  private final int perCall;

  /** perCall: copies per call of the base method (internal_batch_size, or the engine's gradient batch if smaller). */
  NoiseTunnel(long seed, java.util.function.IntUnaryOperator itemIndex, Attribution base,
      NoiseTunnelProvider.Parameters p, int perCall) {
    this.seed = seed;
    this.itemIndex = itemIndex;
    this.base = base;
    this.p = p;
    this.perCall = perCall;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    int samples = p.samples();
    double[] sum = null;
    double[] sumSq = null;
    long[] outShape = null;
    Random[] noise = new Random[n];
    double[] stdev = new double[n];
    for (int i = 0; i < n; i++) {
      noise[i] = SeededRandom.forItem(seed, itemIndex.applyAsInt(i));
      stdev[i] = p.stdev() > 0 ? p.stdev() : p.noiseLevel() * range(inputs, i);
    }
    // Copies go through the base method perCall at a time, sample by sample across the images (copy q
    // is image q % n, sample q / n): each call holds the next samples of several images. The next
    // call's noise is drawn while the base method runs on this call's (ONNX Runtime leaves a core idle
    // in its one-thread kernels), each image from its own generator in sample order.
    int total = n * samples;
    CompletableFuture<float[]> next = CompletableFuture.completedFuture(
        noisyCopies(inputs, noise, stdev, 0, Math.min(total, perCall)));
    for (int start = 0; start < total; start += perCall) {
      int end = Math.min(total, start + perCall);
      int first = start;
      float[] noisy = next.join();
      int after = Math.min(total, end + perCall);
      next = end < total ? CompletableFuture.supplyAsync(() -> noisyCopies(inputs, noise, stdev, end, after)) : null;
      long[] copyTargets = new long[end - start];
      for (int q = start; q < end; q++) {
        copyTargets[q - start] = targets[q % n];
      }
      long[] shape = inputs.shape().clone();
      shape[0] = end - start;
      Tensor a = base.attribute(new Tensor(shape, noisy), copyTargets);
      int aItem = a.itemSize();
      if (sum == null) {
        sum = new double[n * aItem];
        sumSq = new double[n * aItem];
        outShape = a.shape().clone();
        outShape[0] = n;
      }
      double[] sums = sum;
      double[] squares = sumSq;
      // Each image's sums add its samples in order, on the image's own thread.
      IntStream.range(0, n).parallel().forEach(image -> {
        for (int q = firstCopy(first, image, n); q < end; q += n) {
          int src = (q - first) * aItem;
          for (int j = 0; j < aItem; j++) {
            double v = a.data()[src + j];
            sums[image * aItem + j] += v;
            squares[image * aItem + j] += v * v;
          }
        }
      });
    }
    float[] out = new float[sum.length];
    for (int j = 0; j < out.length; j++) {
      double mean = sum[j] / samples;
      double meanSq = sumSq[j] / samples;
      out[j] = (float) switch (p.type()) {
        case SMOOTHGRAD -> mean;
        case SMOOTHGRAD_SQ -> meanSq;
        case VARGRAD -> meanSq - mean * mean;
      };
    }
    return new Tensor(outShape, out);
  }

  /** Copies [start, end) with their noise, each image's drawn from its generator in sample order. */
  private static float[] noisyCopies(Tensor inputs, Random[] noise, double[] stdev, int start, int end) {
    int n = noise.length;
    int item = inputs.itemSize();
    float[] noisy = new float[(end - start) * item];
    IntStream.range(0, n).parallel().forEach(image -> {
      Random r = noise[image];
      int src = image * item;
      for (int q = firstCopy(start, image, n); q < end; q += n) {
        int dst = (q - start) * item;
        for (int j = 0; j < item; j++) {
          noisy[dst + j] = (float) (inputs.data()[src + j] + stdev[image] * r.nextGaussian());
        }
      }
    });
    return noisy;
  }

  /** The first copy at or after {@code start} that belongs to {@code image}, copies being sample-major. */
  static int firstCopy(int start, int image, int n) {
    return start + Math.floorMod(image - start, n);
  }

  private static double range(Tensor t, int i) {
    int item = t.itemSize();
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (int j = i * item; j < (i + 1) * item; j++) {
      lo = Math.min(lo, t.data()[j]);
      hi = Math.max(hi, t.data()[j]);
    }
    return hi - lo;
  }
}

package org.netvis.plugins.noisetunnel;

import java.util.Random;
import org.netvis.engine.run.Seeds;
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

  NoiseTunnel(long seed, java.util.function.IntUnaryOperator itemIndex, Attribution base,
      NoiseTunnelProvider.Parameters p) {
    this.seed = seed;
    this.itemIndex = itemIndex;
    this.base = base;
    this.p = p;
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
      noise[i] = new Random(Seeds.forItem(seed, itemIndex.applyAsInt(i)));
      stdev[i] = p.stdev() > 0 ? p.stdev() : p.noiseLevel() * range(inputs, i);
    }
    // Samples of all images go through the base method together, internal_batch_size copies at a time.
    int perCall = p.internalBatchSize();
    for (int start = 0; start < n * samples; start += perCall) {
      int end = Math.min(n * samples, start + perCall);
      float[] noisy = new float[(end - start) * item];
      long[] copyTargets = new long[end - start];
      for (int q = start; q < end; q++) {
        int image = q / samples;
        int dst = (q - start) * item;
        for (int j = 0; j < item; j++) {
          noisy[dst + j] = (float) (inputs.data()[image * item + j] + stdev[image] * noise[image].nextGaussian());
        }
        copyTargets[q - start] = targets[image];
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
      for (int q = start; q < end; q++) {
        int image = q / samples;
        int src = (q - start) * aItem;
        for (int j = 0; j < aItem; j++) {
          double v = a.data()[src + j];
          sum[image * aItem + j] += v;
          sumSq[image * aItem + j] += v * v;
        }
      }
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

package org.netvis.engine.attribution;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.netvis.engine.tensor.Tensor;

/**
 * Pairs [first, first + count) of the (image, path point) pairs of n images with {@code points}
 * points each, image by image: what one gradient call of a path method (integrated gradients, the
 * layer and neuron methods that integrate along the same path) takes. The loops over a chunk's
 * values run on every core, while ONNX Runtime's threads wait for the next call.
 */
public record PathChunk(int first, int count, int points) {
  /** Values per task when weighted values are summed. */
  private static final int SUM_BLOCK = 1 << 14;

  /** Every pair of {@code images} x {@code points}, in chunks of at most {@code size}. */
  public static List<PathChunk> of(int images, int points, int size) {
    List<PathChunk> out = new ArrayList<>();
    for (int start = 0; start < images * points; start += size) {
      out.add(new PathChunk(start, Math.min(images * points, start + size) - start, points));
    }
    return out;
  }

  public int image(int pair) {
    return (first + pair) / points;
  }

  public int point(int pair) {
    return (first + pair) % points;
  }

  /** Each pair's image's target. */
  public long[] targets(long[] imageTargets) {
    long[] out = new long[count];
    for (int q = 0; q < count; q++) {
      out[q] = imageTargets[image(q)];
    }
    return out;
  }

  /**
   * b + a (x - b) for each pair, with a its point's alpha (in float arithmetic, as the inputs), written
   * into {@code buffer} where it holds exactly this chunk's values (an earlier chunk's points the
   * caller no longer reads; null for none).
   */
  public Tensor interpolate(Tensor x, Tensor b, double[] alphas, float[] buffer) {
    int item = x.itemSize();
    float[] out = buffer != null && buffer.length == count * item ? buffer : new float[count * item];
    float[] xs = x.data();
    float[] bs = b.data();
    IntStream.range(0, count).parallel().forEach(q -> {
      int base = image(q) * item;
      float a = (float) alphas[point(q)];
      for (int j = 0; j < item; j++) {
        out[q * item + j] = bs[base + j] + a * (xs[base + j] - bs[base + j]);
      }
    });
    return new Tensor(shape(x), out);
  }

  /** Each pair's image, written into {@code buffer} as {@link #interpolate} writes its points. */
  public Tensor repeat(Tensor x, float[] buffer) {
    int item = x.itemSize();
    float[] out = buffer != null && buffer.length == count * item ? buffer : new float[count * item];
    for (int q = 0; q < count; q++) {
      System.arraycopy(x.data(), image(q) * item, out, q * item, item);
    }
    return new Tensor(shape(x), out);
  }

  /**
   * total[image] += weights[point] * values[pair] for every pair, values one row per pair; each
   * image's values add the points in order (blocks of values run in parallel), the same sums as one
   * loop.
   */
  public void accumulate(double[] total, Tensor values, double[] weights) {
    int item = values.itemSize();
    float[] v = values.data();
    int blocks = (item + SUM_BLOCK - 1) / SUM_BLOCK;
    IntStream.range(0, blocks).parallel().forEach(block -> {
      int from = block * SUM_BLOCK;
      int to = Math.min(item, from + SUM_BLOCK);
      for (int q = 0; q < count; q++) {
        double w = weights[point(q)];
        int dst = image(q) * item;
        int src = q * item;
        for (int j = from; j < to; j++) {
          total[dst + j] += w * v[src + j];
        }
      }
    });
  }

  private long[] shape(Tensor x) {
    long[] s = x.shape().clone();
    s[0] = count;
    return s;
  }
}

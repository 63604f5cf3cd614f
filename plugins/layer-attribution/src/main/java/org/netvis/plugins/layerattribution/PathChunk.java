package org.netvis.plugins.layerattribution;

import java.util.ArrayList;
import java.util.List;
import org.netvis.engine.tensor.Tensor;

/**
 * Pairs [first, first + count) of the (image, path point) pairs of n images with {@code points}
 * points each, image by image: what one gradient call takes.
 */
record PathChunk(int first, int count, int points) {

  /** Every pair of {@code images} x {@code points}, in chunks of at most {@code size}. */
  static List<PathChunk> of(int images, int points, int size) {
    List<PathChunk> out = new ArrayList<>();
    for (int start = 0; start < images * points; start += size) {
      out.add(new PathChunk(start, Math.min(images * points, start + size) - start, points));
    }
    return out;
  }

  int image(int pair) {
    return (first + pair) / points;
  }

  int point(int pair) {
    return (first + pair) % points;
  }

  /** Each pair's image's target. */
  long[] targets(long[] imageTargets) {
    long[] out = new long[count];
    for (int q = 0; q < count; q++) {
      out[q] = imageTargets[image(q)];
    }
    return out;
  }

  /** b + a (x - b) for each pair, with a its point's alpha. */
  Tensor interpolate(Tensor x, Tensor b, double[] alphas) {
    int item = x.itemSize();
    float[] out = new float[count * item];
    for (int q = 0; q < count; q++) {
      int base = image(q) * item;
      float a = (float) alphas[point(q)];
      for (int j = 0; j < item; j++) {
        out[q * item + j] = b.data()[base + j] + a * (x.data()[base + j] - b.data()[base + j]);
      }
    }
    return new Tensor(shape(x), out);
  }

  /** Each pair's image. */
  Tensor repeat(Tensor x) {
    int item = x.itemSize();
    float[] out = new float[count * item];
    for (int q = 0; q < count; q++) {
      System.arraycopy(x.data(), image(q) * item, out, q * item, item);
    }
    return new Tensor(shape(x), out);
  }

  private long[] shape(Tensor x) {
    long[] s = x.shape().clone();
    s[0] = count;
    return s;
  }
}

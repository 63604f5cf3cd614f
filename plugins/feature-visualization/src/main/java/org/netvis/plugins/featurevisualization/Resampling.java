package org.netvis.plugins.featurevisualization;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A linear (affine, for padding) map from one [C, H, W] image to another that treats every channel
 * alike: each output pixel is a weighted sum of at most four input pixels plus a constant. Pad,
 * crop, bilinear scale, bilinear rotation and resize are all of this form, and each comes with its
 * exact adjoint ({@link #adjoint}: the transpose of the weights, the constant dropped).
 */
sealed interface Resampling permits Resampling.Window, Resampling.Weighted {

  /** Applies the map to every channel of a [C, H, W] image. */
  float[] apply(float[] image, int channels);

  /** The transpose: a gradient on the output to the gradient on the input. */
  float[] adjoint(float[] gradient, int channels);

  /**
   * The window of size outHeight x outWidth at (top, left), showing {@code fill} where it reaches past
   * the image: Lucid's pad (a window around the image), its jitter (a crop), or a padded image's crop in
   * one map.
   */
  static Resampling window(int height, int width, int top, int left, int outHeight, int outWidth, float fill) {
    return new Window(height, width, top, left, outHeight, outWidth, fill);
  }

  /**
   * Bilinear resize to outHeight x outWidth with half-pixel centres and edge clamping, as
   * {@code F.interpolate(mode="bilinear", align_corners=False)}.
   */
  static Resampling resize(int height, int width, int outHeight, int outWidth) {
    // A map depends on the four sizes alone, and a render draws from a few of them (Lucid's 11
    // scales, then the resize to the model's input) at every step: build each once.
    List<Integer> key = List.of(height, width, outHeight, outWidth);
    Weighted cached = Weighted.RESIZES.get(key);
    if (cached == null) {
      if (Weighted.RESIZES.size() >= Weighted.MAX_RESIZES) {
        Weighted.RESIZES.clear();
      }
      cached = Weighted.resize(height, width, outHeight, outWidth);
      Weighted.RESIZES.put(key, cached);
    }
    return cached;
  }

  /**
   * Rotation by {@code degrees} (counter-clockwise on screen) about the image centre, sampled
   * bilinearly, zero outside the image (as {@code tf.contrib.image.rotate} and kornia's rotate).
   */
  static Resampling rotate(int height, int width, double degrees) {
    Weighted r = new Weighted(height, width, height, width);
    double a = Math.toRadians(degrees);
    double cos = Math.cos(a);
    double sin = Math.sin(a);
    double cy = (height - 1) / 2.0;
    double cx = (width - 1) / 2.0;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        // The output pixel shows the input at the inverse rotation of its position (y points down).
        double dx = x - cx;
        double dy = y - cy;
        double sx = cos * dx - sin * dy + cx;
        double sy = sin * dx + cos * dy + cy;
        r.bilinear(y * width + x, sy, sx);
      }
    }
    return r;
  }

  /** A copy of a window of the image, {@code fill} outside it: row copies, and their transpose. */
  record Window(int inHeight, int inWidth, int top, int left, int outHeight, int outWidth, float fill)
      implements Resampling {

    @Override
    public float[] apply(float[] image, int channels) {
      int inPlane = inHeight * inWidth;
      int outPlane = outHeight * outWidth;
      int from = firstColumn();
      int to = endColumn();
      float[] out = new float[channels * outPlane];
      for (int c = 0; c < channels; c++) {
        for (int y = 0; y < outHeight; y++) {
          int row = c * outPlane + y * outWidth;
          int sy = y + top;
          if (sy < 0 || sy >= inHeight || from >= to) {
            java.util.Arrays.fill(out, row, row + outWidth, fill);
            continue;
          }
          java.util.Arrays.fill(out, row, row + from, fill);
          System.arraycopy(image, c * inPlane + sy * inWidth + from + left, out, row + from, to - from);
          java.util.Arrays.fill(out, row + to, row + outWidth, fill);
        }
      }
      return out;
    }

    @Override
    public float[] adjoint(float[] gradient, int channels) {
      int inPlane = inHeight * inWidth;
      int outPlane = outHeight * outWidth;
      int from = firstColumn();
      int to = endColumn();
      float[] out = new float[channels * inPlane];
      for (int c = 0; c < channels; c++) {
        for (int y = 0; y < outHeight; y++) {
          int sy = y + top;
          if (sy >= 0 && sy < inHeight && from < to) {
            System.arraycopy(gradient, c * outPlane + y * outWidth + from, out, c * inPlane + sy * inWidth + from + left,
                to - from);
          }
        }
      }
      return out;
    }

    /** The first output column that shows the image. */
    private int firstColumn() {
      return Math.max(0, -left);
    }

    /** One past the last output column that shows the image. */
    private int endColumn() {
      return Math.min(outWidth, inWidth - left);
    }
  }

  /**
   * Each output pixel a weighted sum of four input pixels plus a constant; where a pixel has fewer
   * sources the others are input pixel 0 with weight 0, so that every pixel runs the same four-term
   * sum (the terms in the same order; finite images only change by the sign of a zero).
   */
  final class Weighted implements Resampling {
    /** Resize maps by sizes; a render at the standard transforms uses about 21 (2 MB each at 224 x 224). */
    private static final Map<List<Integer>, Weighted> RESIZES = new ConcurrentHashMap<>();
    private static final int MAX_RESIZES = 64;

    private final int inHeight;
    private final int inWidth;
    private final int outHeight;
    private final int outWidth;
    private final int[] source;
    private final float[] weight;
    private final float[] constant;

    private Weighted(int inHeight, int inWidth, int outHeight, int outWidth) {
      this.inHeight = inHeight;
      this.inWidth = inWidth;
      this.outHeight = outHeight;
      this.outWidth = outWidth;
      int n = outHeight * outWidth;
      this.source = new int[4 * n];
      this.weight = new float[4 * n];
      this.constant = new float[n];
    }

    private static Weighted resize(int height, int width, int outHeight, int outWidth) {
      Weighted r = new Weighted(height, width, outHeight, outWidth);
      double fy = height / (double) outHeight;
      double fx = width / (double) outWidth;
      for (int y = 0; y < outHeight; y++) {
        double sy = Math.max(0, (y + 0.5) * fy - 0.5);
        for (int x = 0; x < outWidth; x++) {
          double sx = Math.max(0, (x + 0.5) * fx - 0.5);
          r.bilinear(y * outWidth + x, Math.min(sy, height - 1), Math.min(sx, width - 1));
        }
      }
      return r;
    }

    /** Bilinear weights of the up-to-four pixels around (sy, sx); neighbours outside the image get none. */
    private void bilinear(int o, double sy, double sx) {
      int y0 = (int) Math.floor(sy);
      int x0 = (int) Math.floor(sx);
      double wy = sy - y0;
      double wx = sx - x0;
      int k = 0;
      for (int dy = 0; dy <= 1; dy++) {
        for (int dx = 0; dx <= 1; dx++) {
          int yy = y0 + dy;
          int xx = x0 + dx;
          double w = (dy == 0 ? 1 - wy : wy) * (dx == 0 ? 1 - wx : wx);
          if (w != 0 && yy >= 0 && yy < inHeight && xx >= 0 && xx < inWidth) {
            source[4 * o + k] = yy * inWidth + xx;
            weight[4 * o + k] = (float) w;
            k++;
          }
        }
      }
    }

    // Output pixels outermost and channels innermost: the map's tables (32 bytes a pixel) are read
    // once for all channels. The four terms are written out: as a loop over the slots, apply and
    // adjoint ran 30% slower.
    @Override
    public float[] apply(float[] image, int channels) {
      int inPlane = inHeight * inWidth;
      int outPlane = outHeight * outWidth;
      float[] out = new float[channels * outPlane];
      for (int o = 0; o < outPlane; o++) {
        int t = 4 * o;
        int s0 = source[t];
        int s1 = source[t + 1];
        int s2 = source[t + 2];
        int s3 = source[t + 3];
        float w0 = weight[t];
        float w1 = weight[t + 1];
        float w2 = weight[t + 2];
        float w3 = weight[t + 3];
        for (int c = 0, ib = 0; c < channels; c++, ib += inPlane) {
          out[c * outPlane + o] = constant[o] + w0 * image[ib + s0] + w1 * image[ib + s1] + w2 * image[ib + s2]
              + w3 * image[ib + s3];
        }
      }
      return out;
    }

    @Override
    public float[] adjoint(float[] gradient, int channels) {
      int inPlane = inHeight * inWidth;
      int outPlane = outHeight * outWidth;
      float[] out = new float[channels * inPlane];
      for (int o = 0; o < outPlane; o++) {
        int t = 4 * o;
        int s0 = source[t];
        int s1 = source[t + 1];
        int s2 = source[t + 2];
        int s3 = source[t + 3];
        float w0 = weight[t];
        float w1 = weight[t + 1];
        float w2 = weight[t + 2];
        float w3 = weight[t + 3];
        for (int c = 0, ib = 0; c < channels; c++, ib += inPlane) {
          float g = gradient[c * outPlane + o];
          out[ib + s0] += w0 * g;
          out[ib + s1] += w1 * g;
          out[ib + s2] += w2 * g;
          out[ib + s3] += w3 * g;
        }
      }
      return out;
    }
  }
}

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

  int inHeight();

  int inWidth();

  int outHeight();

  int outWidth();

  /** Pixels per channel of the images the map takes. */
  default int inPixels() {
    return inHeight() * inWidth();
  }

  /** Pixels per channel of the images it makes. */
  default int outPixels() {
    return outHeight() * outWidth();
  }

  /**
   * Applies the map to every channel of the [C, H, W] image at {@code image[from]}, writing the result
   * at {@code out[to]} (a render's steps reuse their arrays: fresh ones cost more than the map).
   */
  void apply(float[] image, int from, float[] out, int to, int channels);

  /** The transpose: a gradient on the output, at {@code gradient[from]}, to the gradient on the input at {@code out[to]}. */
  void adjoint(float[] gradient, int from, float[] out, int to, int channels);

  /** {@link #apply} into a new array. */
  default float[] apply(float[] image, int channels) {
    float[] out = new float[channels * outPixels()];
    apply(image, 0, out, 0, channels);
    return out;
  }

  /** {@link #adjoint} into a new array. */
  default float[] adjoint(float[] gradient, int channels) {
    float[] out = new float[channels * inPixels()];
    adjoint(gradient, 0, out, 0, channels);
    return out;
  }

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
    return rotate(height, width, degrees, new Tables());
  }

  /**
   * {@link #rotate(int, int, double)} in {@code tables}' arrays: the map returned is valid until their
   * next use (a render draws a rotation at most steps, 2 MB of tables at 224 x 224).
   */
  static Resampling rotate(int height, int width, double degrees, Tables tables) {
    Weighted r = tables.borrow(height, width, height, width);
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
    public void apply(float[] image, int from, float[] out, int to, int channels) {
      int inPlane = inPixels();
      int outPlane = outPixels();
      int first = firstColumn();
      int end = endColumn();
      for (int c = 0; c < channels; c++) {
        for (int y = 0; y < outHeight; y++) {
          int row = to + c * outPlane + y * outWidth;
          int sy = y + top;
          if (sy < 0 || sy >= inHeight || first >= end) {
            java.util.Arrays.fill(out, row, row + outWidth, fill);
            continue;
          }
          java.util.Arrays.fill(out, row, row + first, fill);
          System.arraycopy(image, from + c * inPlane + sy * inWidth + first + left, out, row + first, end - first);
          java.util.Arrays.fill(out, row + end, row + outWidth, fill);
        }
      }
    }

    @Override
    public void adjoint(float[] gradient, int from, float[] out, int to, int channels) {
      int inPlane = inPixels();
      int outPlane = outPixels();
      int first = firstColumn();
      int end = endColumn();
      java.util.Arrays.fill(out, to, to + channels * inPlane, 0f);
      for (int c = 0; c < channels; c++) {
        for (int y = 0; y < outHeight; y++) {
          int sy = y + top;
          if (sy >= 0 && sy < inHeight && first < end) {
            System.arraycopy(gradient, from + c * outPlane + y * outWidth + first, out,
                to + c * inPlane + sy * inWidth + first + left, end - first);
          }
        }
      }
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
   * sum (the terms in the same order; finite images only change by the sign of a zero). A rotation's
   * tables are borrowed from {@link Tables} and may be longer than the map.
   */
  record Weighted(int inHeight, int inWidth, int outHeight, int outWidth, int[] source, float[] weight,
      float[] constant) implements Resampling {
    /** Resize maps by sizes; a render at the standard transforms uses about 21 (2 MB each at 224 x 224). */
    private static final Map<List<Integer>, Weighted> RESIZES = new ConcurrentHashMap<>();
    private static final int MAX_RESIZES = 64;

    /** A map of this size with new tables, all zero (every slot input pixel 0 at weight 0). */
    private static Weighted ofSize(int inHeight, int inWidth, int outHeight, int outWidth) {
      int n = outHeight * outWidth;
      return new Weighted(inHeight, inWidth, outHeight, outWidth, new int[4 * n], new float[4 * n], new float[n]);
    }

    private static Weighted resize(int height, int width, int outHeight, int outWidth) {
      Weighted r = ofSize(height, width, outHeight, outWidth);
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
    public void apply(float[] image, int from, float[] out, int to, int channels) {
      int inPlane = inPixels();
      int outPlane = outPixels();
      for (int o = 0; o < outPlane; o++) {
        int t = 4 * o;
        int s0 = from + source[t];
        int s1 = from + source[t + 1];
        int s2 = from + source[t + 2];
        int s3 = from + source[t + 3];
        float w0 = weight[t];
        float w1 = weight[t + 1];
        float w2 = weight[t + 2];
        float w3 = weight[t + 3];
        for (int c = 0, ib = 0; c < channels; c++, ib += inPlane) {
          out[to + c * outPlane + o] = constant[o] + w0 * image[ib + s0] + w1 * image[ib + s1] + w2 * image[ib + s2]
              + w3 * image[ib + s3];
        }
      }
    }

    @Override
    public void adjoint(float[] gradient, int from, float[] out, int to, int channels) {
      int inPlane = inPixels();
      int outPlane = outPixels();
      java.util.Arrays.fill(out, to, to + channels * inPlane, 0f);
      for (int o = 0; o < outPlane; o++) {
        int t = 4 * o;
        int s0 = to + source[t];
        int s1 = to + source[t + 1];
        int s2 = to + source[t + 2];
        int s3 = to + source[t + 3];
        float w0 = weight[t];
        float w1 = weight[t + 1];
        float w2 = weight[t + 2];
        float w3 = weight[t + 3];
        for (int c = 0, ib = 0; c < channels; c++, ib += inPlane) {
          float g = gradient[from + c * outPlane + o];
          out[ib + s0] += w0 * g;
          out[ib + s1] += w1 * g;
          out[ib + s2] += w2 * g;
          out[ib + s3] += w3 * g;
        }
      }
    }
  }

  /** Tables for one map at a time, grown to the largest asked for and cleared for each. */
  final class Tables {
    private int[] source = new int[0];
    private float[] weight = new float[0];
    private float[] constant = new float[0];

    private Weighted borrow(int inHeight, int inWidth, int outHeight, int outWidth) {
      int n = outHeight * outWidth;
      if (constant.length < n) {
        source = new int[4 * n];
        weight = new float[4 * n];
        constant = new float[n];
      } else {
        java.util.Arrays.fill(source, 0, 4 * n, 0);
        java.util.Arrays.fill(weight, 0, 4 * n, 0f);
        java.util.Arrays.fill(constant, 0, n, 0f);
      }
      return new Weighted(inHeight, inWidth, outHeight, outWidth, source, weight, constant);
    }
  }
}

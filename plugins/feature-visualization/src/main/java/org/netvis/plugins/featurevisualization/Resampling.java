package org.netvis.plugins.featurevisualization;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A linear (affine, for padding) map from one [C, H, W] image to another that treats every channel
 * alike: each output pixel is a weighted sum of at most four input pixels plus a constant. Pad,
 * crop, bilinear scale, bilinear rotation and resize are all of this form, so one class gives each
 * its exact adjoint ({@link #adjoint}: the transpose of the weights, the constant dropped).
 */
final class Resampling {
  private final int inHeight;
  private final int inWidth;
  private final int outHeight;
  private final int outWidth;
  private final int[] source;
  private final float[] weight;
  private final float[] constant;
  /** Sources per output actually used (1 for pad and crop, up to 4 for bilinear maps); set by {@link #taps}. */
  private int taps = -1;

  private Resampling(int inHeight, int inWidth, int outHeight, int outWidth) {
    this.inHeight = inHeight;
    this.inWidth = inWidth;
    this.outHeight = outHeight;
    this.outWidth = outWidth;
    int n = outHeight * outWidth;
    this.source = new int[4 * n];
    this.weight = new float[4 * n];
    this.constant = new float[n];
    java.util.Arrays.fill(source, -1);
  }

  int outHeight() {
    return outHeight;
  }

  int outWidth() {
    return outWidth;
  }

  /**
   * The window of size outHeight x outWidth at (top, left), showing {@code fill} where it reaches past
   * the image: Lucid's pad (a window around the image), its jitter (a crop), or a padded image's crop in
   * one map.
   */
  static Resampling window(int height, int width, int top, int left, int outHeight, int outWidth, float fill) {
    Resampling r = new Resampling(height, width, outHeight, outWidth);
    for (int y = 0; y < outHeight; y++) {
      for (int x = 0; x < outWidth; x++) {
        int o = y * outWidth + x;
        int sy = y + top;
        int sx = x + left;
        if (sy >= 0 && sy < height && sx >= 0 && sx < width) {
          r.source[4 * o] = sy * width + sx;
          r.weight[4 * o] = 1;
        } else {
          r.constant[o] = fill;
        }
      }
    }
    return r;
  }

  /**
   * Bilinear resize to outHeight x outWidth with half-pixel centres and edge clamping, as
   * {@code F.interpolate(mode="bilinear", align_corners=False)}.
   */
  static Resampling resize(int height, int width, int outHeight, int outWidth) {
    // A map depends on the four sizes alone, and a render draws from a few of them (Lucid's 11
    // scales, then the resize to the model's input) at every step: build each once.
    List<Integer> key = List.of(height, width, outHeight, outWidth);
    Resampling cached = RESIZES.get(key);
    if (cached == null) {
      if (RESIZES.size() >= MAX_RESIZES) {
        RESIZES.clear();
      }
      cached = buildResize(height, width, outHeight, outWidth);
      cached.taps();
      RESIZES.put(key, cached);
    }
    return cached;
  }

  /** Resize maps by sizes; a render at the standard transforms uses about 21 (2 MB each at 224 x 224). */
  private static final Map<List<Integer>, Resampling> RESIZES = new ConcurrentHashMap<>();
  private static final int MAX_RESIZES = 64;

  private static Resampling buildResize(int height, int width, int outHeight, int outWidth) {
    Resampling r = new Resampling(height, width, outHeight, outWidth);
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

  /**
   * Rotation by {@code degrees} (counter-clockwise on screen) about the image centre, sampled
   * bilinearly, zero outside the image (as {@code tf.contrib.image.rotate} and kornia's rotate).
   */
  static Resampling rotate(int height, int width, double degrees) {
    Resampling r = new Resampling(height, width, height, width);
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

  /** The largest number of sources an output pixel has: the others are unused (-1) in every slot after them. */
  private int taps() {
    if (taps < 0) {
      int most = 0;
      for (int o = 0; o < constant.length; o++) {
        while (most < 4 && source[4 * o + most] >= 0) {
          most++;
        }
      }
      taps = most;
    }
    return taps;
  }

  /** Applies the map to every channel of a [C, inHeight, inWidth] image. */
  float[] apply(float[] image, int channels) {
    int inPlane = inHeight * inWidth;
    int outPlane = outHeight * outWidth;
    int used = taps();
    float[] out = new float[channels * outPlane];
    for (int c = 0; c < channels; c++) {
      int ib = c * inPlane;
      int ob = c * outPlane;
      for (int o = 0; o < outPlane; o++) {
        float v = constant[o];
        for (int k = 0; k < used; k++) {
          int s = source[4 * o + k];
          if (s >= 0) {
            v += weight[4 * o + k] * image[ib + s];
          }
        }
        out[ob + o] = v;
      }
    }
    return out;
  }

  /** The transpose: a gradient on the output to the gradient on the input. */
  float[] adjoint(float[] gradient, int channels) {
    int inPlane = inHeight * inWidth;
    int outPlane = outHeight * outWidth;
    int used = taps();
    float[] out = new float[channels * inPlane];
    for (int c = 0; c < channels; c++) {
      int ib = c * inPlane;
      int ob = c * outPlane;
      for (int o = 0; o < outPlane; o++) {
        float g = gradient[ob + o];
        for (int k = 0; k < used; k++) {
          int s = source[4 * o + k];
          if (s >= 0) {
            out[ib + s] += weight[4 * o + k] * g;
          }
        }
      }
    }
    return out;
  }
}

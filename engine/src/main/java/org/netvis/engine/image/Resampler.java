package org.netvis.engine.image;

/**
 * Resizes 8-bit RGB images the way Pillow's {@code Image.resize(..., BILINEAR)} does (and so
 * torchvision's {@code Resize} on PIL images): a triangle filter widened by the scale factor when
 * shrinking (antialiasing), 22-bit fixed-point weights, a horizontal pass into 8-bit, then a
 * vertical pass.
 */
public final class Resampler {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private Resampler() {}

  public static RgbImage resize(RgbImage in, int width, int height) {
    if (width == in.width() && height == in.height()) {
      return in;
    }
    int[] horizontal = in.rgb();
    int w = in.width();
    if (width != in.width()) {
      Coefficients c = coefficients(in.width(), width);
      horizontal = new int[width * in.height() * 3];
      for (int y = 0; y < in.height(); y++) {
        for (int x = 0; x < width; x++) {
          for (int ch = 0; ch < 3; ch++) {
            long sum = 1L << (PRECISION_BITS - 1);
            for (int k = 0; k < c.size[x]; k++) {
              sum += (long) in.rgb()[(y * in.width() + c.start[x] + k) * 3 + ch] * c.weights[x][k];
            }
            horizontal[(y * width + x) * 3 + ch] = clip8(sum);
          }
        }
      }
      w = width;
    }
    if (height == in.height()) {
      return new RgbImage(w, height, horizontal, in.note());
    }
    Coefficients c = coefficients(in.height(), height);
    int[] out = new int[w * height * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < w; x++) {
        for (int ch = 0; ch < 3; ch++) {
          long sum = 1L << (PRECISION_BITS - 1);
          for (int k = 0; k < c.size[y]; k++) {
            sum += (long) horizontal[((c.start[y] + k) * w + x) * 3 + ch] * c.weights[y][k];
          }
          out[(y * w + x) * 3 + ch] = clip8(sum);
        }
      }
    }
    return new RgbImage(w, height, out, in.note());
  }

  private static int clip8(long sum) {
    long v = sum >> PRECISION_BITS;
    return (int) Math.max(0, Math.min(255, v));
  }

  private record Coefficients(int[] start, int[] size, int[][] weights) {}

  private static Coefficients coefficients(int inSize, int outSize) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = 1.0 * filterScale;
    int[] start = new int[outSize];
    int[] size = new int[outSize];
    int[][] weights = new int[outSize][];
    for (int i = 0; i < outSize; i++) {
      double center = (i + 0.5) * scale;
      int min = Math.max((int) (center - support + 0.5), 0);
      int max = Math.min((int) (center + support + 0.5), inSize) - min;
      double[] k = new double[max];
      double total = 0;
      for (int x = 0; x < max; x++) {
        double t = Math.abs((x + min - center + 0.5) / filterScale);
        k[x] = t < 1.0 ? 1.0 - t : 0.0;
        total += k[x];
      }
      weights[i] = new int[max];
      for (int x = 0; x < max; x++) {
        double v = total != 0 ? k[x] / total : 0;
        weights[i][x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
      }
      start[i] = min;
      size[i] = max;
    }
    return new Coefficients(start, size, weights);
  }
}

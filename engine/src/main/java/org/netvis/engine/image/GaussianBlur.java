package org.netvis.engine.image;

/**
 * SciPy's {@code gaussian_filter1d} (truncate 4, "reflect" borders) along H then W of planar
 * images: the class visualization's regularizer and the blurred baselines of attribution methods.
 */
public final class GaussianBlur {
  private GaussianBlur() {}

  /** SciPy's 1-D Gaussian kernel: radius int(4 * sigma + 0.5), weights exp(-x^2 / 2 sigma^2), summing to 1. */
  public static double[] gaussianKernel(double sigma) {
    int radius = (int) (4.0 * sigma + 0.5);
    double[] k = new double[2 * radius + 1];
    double sum = 0;
    for (int i = -radius; i <= radius; i++) {
      k[i + radius] = Math.exp(-0.5 * i * i / (sigma * sigma));
      sum += k[i + radius];
    }
    for (int i = 0; i < k.length; i++) {
      k[i] /= sum;
    }
    return k;
  }

  /** SciPy's "reflect" mode: (d c b a | a b c d | d c b a), the edge sample repeated. */
  public static int reflect(int i, int n) {
    if (n == 1) {
      return 0;
    }
    int period = 2 * n;
    int m = Math.floorMod(i, period);
    return m < n ? m : period - 1 - m;
  }

  /** Blurs along H (axis 2), then W (axis 3), like two gaussian_filter1d calls; returns a new array. */
  public static float[] blur(float[] image, int channels, int height, int width, double sigma) {
    if (sigma <= 0) {
      return image.clone();
    }
    float[] out = new float[image.length];
    blurInto(image, new float[image.length], out, channels, height, width, sigma);
    return out;
  }

  /**
   * {@link #blur} written over {@code image}, with {@code scratch} (at least as long) holding the pass
   * along H: the same floats, without the two arrays a blur would allocate (the class visualization
   * blurs every tenth iteration).
   */
  public static void blurInPlace(float[] image, float[] scratch, int channels, int height, int width, double sigma) {
    if (sigma <= 0) {
      return;
    }
    if (scratch.length < image.length) {
      throw new IllegalArgumentException("scratch holds " + scratch.length + " floats, the image " + image.length);
    }
    blurInto(image, scratch, image, channels, height, width, sigma);
  }

  /** Along H from {@code in} into {@code scratch}, then along W into {@code out} (which may be {@code in}). */
  private static void blurInto(float[] in, float[] scratch, float[] out, int channels, int height, int width,
      double sigma) {
    double[] k = gaussianKernel(sigma);
    double[] sums = new double[width];
    blurAxis(in, scratch, sums, channels, height, width, k, true);
    blurAxis(scratch, out, sums, channels, height, width, k, false);
  }

  /**
   * One 1-D pass of the kernel along H ({@code alongHeight}) or W, with reflect borders. Each output
   * is the sum of k[j] * in[reflect(pos + j - r)] in double, j ascending; the loops run along rows so
   * that the JIT can vectorize them (the class visualization blurs every tenth step), and the sums
   * keep that order, so the floats are those of the plain per-pixel loop.
   */
  private static void blurAxis(float[] in, float[] out, double[] sum, int channels, int height, int width, double[] k,
      boolean alongHeight) {
    int r = k.length / 2;
    // Along W, the columns in [from, to) have all their taps inside the row and read it contiguously.
    int from = Math.min(r, width);
    int to = Math.max(from, width - r);
    for (int c = 0; c < channels; c++) {
      int base = c * height * width;
      for (int y = 0; y < height; y++) {
        java.util.Arrays.fill(sum, 0);
        if (alongHeight) {
          for (int j = 0; j < k.length; j++) {
            int row = base + reflect(y + j - r, height) * width;
            double w = k[j];
            for (int x = 0; x < width; x++) {
              sum[x] += w * in[row + x];
            }
          }
        } else {
          int line = base + y * width;
          for (int j = 0; j < k.length; j++) {
            double w = k[j];
            int shift = line + j - r;
            for (int x = 0; x < from; x++) {
              sum[x] += w * in[line + reflect(x + j - r, width)];
            }
            for (int x = from; x < to; x++) {
              sum[x] += w * in[shift + x];
            }
            for (int x = to; x < width; x++) {
              sum[x] += w * in[line + reflect(x + j - r, width)];
            }
          }
        }
        int row = base + y * width;
        for (int x = 0; x < width; x++) {
          out[row + x] = (float) sum[x];
        }
      }
    }
  }
}

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
    double[] k = gaussianKernel(sigma);
    return blurAxis(blurAxis(image, channels, height, width, k, true), channels, height, width, k, false);
  }

  /** One 1-D pass of the kernel along H ({@code alongHeight}) or W, with reflect borders. */
  private static float[] blurAxis(float[] in, int channels, int height, int width, double[] k, boolean alongHeight) {
    int r = k.length / 2;
    int n = alongHeight ? height : width;
    // Each position's taps, reflected at the borders, worked out once for the whole pass.
    int[] taps = new int[n * k.length];
    for (int pos = 0; pos < n; pos++) {
      for (int j = -r; j <= r; j++) {
        taps[pos * k.length + j + r] = reflect(pos + j, n);
      }
    }
    int stride = alongHeight ? width : 1;
    float[] out = new float[in.length];
    for (int c = 0; c < channels; c++) {
      int base = c * height * width;
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int pos = alongHeight ? y : x;
          int line = base + (alongHeight ? x : y * width);
          double s = 0;
          for (int j = 0; j < k.length; j++) {
            s += k[j] * in[line + taps[pos * k.length + j] * stride];
          }
          out[base + y * width + x] = (float) s;
        }
      }
    }
    return out;
  }
}

package org.netvis.plugins.featurevisualization;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Fourier image and its gradient against irfft2's definition written out in double: the image
 * is {@code norm * sum over ky, kx <= w/2 of weight(kx) * Re(X[ky, kx] * exp(2 pi i (ky y / h + kx x / w)))}
 * with X the scaled parameters, weight 1 for kx = 0 and even w's Nyquist column and 2 for the others,
 * norm {@code 1 / sqrt(h w) / 4}; the gradient is its transpose. Sizes of every kind: the model's 224
 * (2^5 x 7), powers of two, odd and mixed.
 */
class FourierImageTest {
  private static final int[][] SIZES = {{224, 224}, {16, 16}, {12, 16}, {7, 9}, {9, 6}, {5, 2}};

  @Test
  void imageIsTheOrthonormalInverseRealFftOfTheScaledSpectrum() {
    for (int[] hw : SIZES) {
      int h = hw[0];
      int w = hw[1];
      FourierImage f = new FourierImage(2, h, w, 1);
      float[] p = random(f.parameterCount(), h * 131L + w);
      float[] image = f.image(p);
      float[] scale = FourierImage.spectrumScale(h, w, 1);
      for (int c = 0; c < 2; c++) {
        double[] expected = inverse(p, c, scale, h, w);
        assertClose(expected, image, c * h * w, h + "x" + w + " channel " + c + " image");
      }
    }
  }

  @Test
  void gradientIsTheTransposeOfTheInverse() {
    for (int[] hw : SIZES) {
      int h = hw[0];
      int w = hw[1];
      FourierImage f = new FourierImage(2, h, w, 1);
      float[] g = random(2 * h * w, h * 17L + w);
      float[] grad = f.gradient(g);
      float[] scale = FourierImage.spectrumScale(h, w, 1);
      int half = w / 2 + 1;
      for (int c = 0; c < 2; c++) {
        double[] expected = transpose(g, c, scale, h, w);
        assertClose(expected, grad, c * h * half * 2, h + "x" + w + " channel " + c + " gradient");
      }
    }
  }

  private static double weight(int kx, int w) {
    return kx == 0 || (w % 2 == 0 && kx == w / 2) ? 1 : 2;
  }

  /** One channel's image from its parameters, separably: along W, then along H. */
  private static double[] inverse(float[] p, int c, float[] scale, int h, int w) {
    int half = w / 2 + 1;
    int base = c * h * half * 2;
    double norm = 1 / Math.sqrt(h * w) / FourierImage.MAGIC;
    double[][] re = new double[h][w];
    double[][] im = new double[h][w];
    for (int ky = 0; ky < h; ky++) {
      for (int x = 0; x < w; x++) {
        for (int kx = 0; kx < half; kx++) {
          int k = ky * half + kx;
          double a = p[base + 2 * k] * (double) scale[k] * weight(kx, w);
          double b = p[base + 2 * k + 1] * (double) scale[k] * weight(kx, w);
          double t = 2 * Math.PI * kx * x / w;
          re[ky][x] += a * Math.cos(t) - b * Math.sin(t);
          im[ky][x] += a * Math.sin(t) + b * Math.cos(t);
        }
      }
    }
    double[] out = new double[h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double s = 0;
        for (int ky = 0; ky < h; ky++) {
          double t = 2 * Math.PI * ky * y / h;
          s += re[ky][x] * Math.cos(t) - im[ky][x] * Math.sin(t);
        }
        out[y * w + x] = s * norm;
      }
    }
    return out;
  }

  /** One channel's parameter gradient: d/dRe X = sum g cos, d/dIm X = -sum g sin, times scale, weight and norm. */
  private static double[] transpose(float[] g, int c, float[] scale, int h, int w) {
    int half = w / 2 + 1;
    double norm = 1 / Math.sqrt(h * w) / FourierImage.MAGIC;
    double[][] re = new double[h][half];
    double[][] im = new double[h][half];
    for (int y = 0; y < h; y++) {
      for (int kx = 0; kx < half; kx++) {
        for (int x = 0; x < w; x++) {
          double t = 2 * Math.PI * kx * x / w;
          double v = g[c * h * w + y * w + x];
          re[y][kx] += v * Math.cos(t);
          im[y][kx] -= v * Math.sin(t);
        }
      }
    }
    double[] out = new double[h * half * 2];
    for (int ky = 0; ky < h; ky++) {
      for (int kx = 0; kx < half; kx++) {
        double a = 0;
        double b = 0;
        for (int y = 0; y < h; y++) {
          double t = 2 * Math.PI * ky * y / h;
          // (re + i im) * exp(-i t)
          a += re[y][kx] * Math.cos(t) + im[y][kx] * Math.sin(t);
          b += im[y][kx] * Math.cos(t) - re[y][kx] * Math.sin(t);
        }
        int k = ky * half + kx;
        double factor = scale[k] * weight(kx, w) * norm;
        out[2 * k] = a * factor;
        out[2 * k + 1] = b * factor;
      }
    }
    return out;
  }

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  /** Every value within 1e-5 of the largest expected magnitude (float FFTs of up to 224 points). */
  private static void assertClose(double[] expected, float[] actual, int offset, String what) {
    double largest = 0;
    for (double v : expected) {
      largest = Math.max(largest, Math.abs(v));
    }
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[offset + i] - expected[i]));
    }
    System.out.printf("%s: largest difference %.2e of %.2e%n", what, worst, largest);
    assertTrue(worst <= 1e-5 * largest, what + ": difference " + worst + " against values up to " + largest);
  }
}

package org.netvis.plugins.featurevisualization;

import org.jtransforms.fft.FloatFFT_2D;

/**
 * Lucid's {@code fft_image}: each channel is a half spectrum (real and imaginary parts, the
 * frequencies of {@code rfft2d_freqs}) scaled by {@code 1 / max(f, 1 / max(h, w))^decay_power}, taken
 * back to pixels by an orthonormal inverse real 2-D FFT and divided by 4. Parameters are laid out
 * [channel][ky][kx][re, im] with kx in 0..w/2, as Lucent holds them.
 *
 * <p>The inverse real FFT is computed as the real part of a full complex inverse FFT (JTransforms)
 * of the Hermitian extension, which is what {@code irfft2} does (the imaginary parts of the kx = 0
 * and Nyquist columns only enter through that real part). Its adjoint is a forward FFT whose
 * half-spectrum columns are weighted 1 (kx = 0, and w/2 when w is even) or 2 (the columns that also
 * stand for their mirror).
 */
final class FourierImage {
  /** Lucid's "magic" constant: the image is divided by it (it reduces saturation). */
  static final float MAGIC = 4.0f;

  private final int channels;
  private final int height;
  private final int width;
  private final int halfWidth;
  private final float[] scale;
  private final FloatFFT_2D fft;

  FourierImage(int channels, int height, int width, double decayPower) {
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.halfWidth = width / 2 + 1;
    this.scale = spectrumScale(height, width, decayPower);
    this.fft = new FloatFFT_2D(height, width);
  }

  /** {@code sqrt(fx^2 + fy^2)} with numpy's fftfreq conventions, [h][w/2 + 1] row-major. */
  static double[] frequencies(int height, int width) {
    int hw = width / 2 + 1;
    double[] f = new double[height * hw];
    for (int y = 0; y < height; y++) {
      double fy = (y <= (height - 1) / 2 ? y : y - height) / (double) height;
      for (int x = 0; x < hw; x++) {
        double fx = x / (double) width;
        f[y * hw + x] = Math.sqrt(fx * fx + fy * fy);
      }
    }
    return f;
  }

  /** {@code 1 / max(f, 1 / max(h, w))^decay}: Lucid's spectrum scale (the sqrt(h*w) goes to the orthonormal FFT). */
  static float[] spectrumScale(int height, int width, double decayPower) {
    double[] f = frequencies(height, width);
    double floor = 1.0 / Math.max(height, width);
    float[] s = new float[f.length];
    for (int i = 0; i < f.length; i++) {
      s[i] = (float) (1.0 / Math.pow(Math.max(f[i], floor), decayPower));
    }
    return s;
  }

  int parameterCount() {
    return channels * height * halfWidth * 2;
  }

  int height() {
    return height;
  }

  int width() {
    return width;
  }

  /** Spectrum parameters to the [C, H, W] image. */
  float[] image(float[] spectrum) {
    int plane = height * width;
    float[] out = new float[channels * plane];
    float norm = (float) (1.0 / Math.sqrt(plane) / MAGIC);
    float[] a = new float[2 * plane];
    for (int c = 0; c < channels; c++) {
      int base = c * height * halfWidth * 2;
      java.util.Arrays.fill(a, 0f);
      for (int ky = 0; ky < height; ky++) {
        for (int kx = 0; kx < halfWidth; kx++) {
          int k = ky * halfWidth + kx;
          float re = spectrum[base + 2 * k] * scale[k];
          float im = spectrum[base + 2 * k + 1] * scale[k];
          int at = 2 * (ky * width + kx);
          a[at] = re;
          a[at + 1] = im;
          int mirror = width - kx;
          if (kx > 0 && mirror > kx && mirror < width) {
            int my = (height - ky) % height;
            int m = 2 * (my * width + mirror);
            a[m] = re;
            a[m + 1] = -im;
          }
        }
      }
      fft.complexInverse(a, false);
      for (int i = 0; i < plane; i++) {
        out[c * plane + i] = a[2 * i] * norm;
      }
    }
    return out;
  }

  /** The gradient with respect to the spectrum parameters, given the gradient with respect to the image. */
  float[] gradient(float[] imageGradient) {
    int plane = height * width;
    float[] out = new float[parameterCount()];
    float norm = (float) (1.0 / Math.sqrt(plane) / MAGIC);
    float[] a = new float[2 * plane];
    for (int c = 0; c < channels; c++) {
      java.util.Arrays.fill(a, 0f);
      for (int i = 0; i < plane; i++) {
        a[2 * i] = imageGradient[c * plane + i];
      }
      fft.complexForward(a);
      int base = c * height * halfWidth * 2;
      for (int ky = 0; ky < height; ky++) {
        for (int kx = 0; kx < halfWidth; kx++) {
          int k = ky * halfWidth + kx;
          boolean single = kx == 0 || (width % 2 == 0 && kx == width / 2);
          float weight = (single ? 1 : 2) * scale[k] * norm;
          int at = 2 * (ky * width + kx);
          out[base + 2 * k] = a[at] * weight;
          out[base + 2 * k + 1] = a[at + 1] * weight;
        }
      }
    }
    return out;
  }
}

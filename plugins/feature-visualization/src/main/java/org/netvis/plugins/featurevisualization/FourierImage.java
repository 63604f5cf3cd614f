package org.netvis.plugins.featurevisualization;

import org.jtransforms.fft.FloatFFT_1D;

/**
 * Lucid's {@code fft_image}: each channel is a half spectrum (real and imaginary parts, the
 * frequencies of {@code rfft2d_freqs}) scaled by {@code 1 / max(f, 1 / max(h, w))^decay_power}, taken
 * back to pixels by an orthonormal inverse real 2-D FFT and divided by 4. Parameters are laid out
 * [channel][ky][kx][re, im] with kx in 0..w/2, as Lucent holds them.
 *
 * <p>The inverse runs as {@code irfft2} does: a complex inverse FFT along H of each of the w/2 + 1
 * columns, then a complex-to-real inverse along W of each row, which ignores the imaginary parts of
 * the kx = 0 and Nyquist columns (half the work of a full complex 2-D FFT of the Hermitian
 * extension). Its adjoint is a real forward FFT along W, a complex one along H, and half-spectrum
 * columns weighted 1 (kx = 0, and w/2 when w is even) or 2 (the columns that also stand for their
 * mirror).
 */
final class FourierImage {
  /** Lucid's "magic" constant: the image is divided by it (it reduces saturation). */
  static final float MAGIC = 4.0f;

  private final int channels;
  private final int height;
  private final int width;
  private final int halfWidth;
  private final float[] scale;
  private final FloatFFT_1D columnFft;
  private final FloatFFT_1D rowFft;

  FourierImage(int channels, int height, int width, double decayPower) {
    if (height < 1 || width < 2) {
      throw new IllegalArgumentException("a Fourier image needs a height of 1 or more and a width of 2 or more, got "
          + height + " x " + width);
    }
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.halfWidth = width / 2 + 1;
    this.scale = spectrumScale(height, width, decayPower);
    this.columnFft = new FloatFFT_1D(height);
    this.rowFft = new FloatFFT_1D(width);
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
    float[] out = new float[channels * height * width];
    image(spectrum, out);
    return out;
  }

  /** {@link #image(float[])} written into {@code out}. */
  void image(float[] spectrum, float[] out) {
    int plane = height * width;
    // JTransforms' scaled inverses (1/n), whose scaling is the same for every size (its unscaled
    // real inverse differs by 2 between power-of-two and other sizes), times h * w for the sum.
    float norm = (float) (Math.sqrt(plane) / MAGIC);
    float[] column = new float[2 * height];
    for (int c = 0; c < channels; c++) {
      int base = c * height * halfWidth * 2;
      int rows = c * plane;
      for (int kx = 0; kx < halfWidth; kx++) {
        for (int ky = 0; ky < height; ky++) {
          int k = ky * halfWidth + kx;
          column[2 * ky] = spectrum[base + 2 * k] * scale[k];
          column[2 * ky + 1] = spectrum[base + 2 * k + 1] * scale[k];
        }
        columnFft.complexInverse(column, true);
        int re = realSlot(kx);
        int im = imaginarySlot(kx);
        for (int y = 0; y < height; y++) {
          out[rows + y * width + re] = column[2 * y];
          if (im >= 0) {
            out[rows + y * width + im] = column[2 * y + 1];
          }
        }
      }
      for (int y = 0; y < height; y++) {
        rowFft.realInverse(out, rows + y * width, true);
      }
      for (int i = rows; i < rows + plane; i++) {
        out[i] *= norm;
      }
    }
  }

  /** The gradient with respect to the spectrum parameters, given the gradient with respect to the image. */
  float[] gradient(float[] imageGradient) {
    float[] out = new float[parameterCount()];
    gradient(imageGradient, out, new float[height * width]);
    return out;
  }

  /** {@link #gradient(float[])} written into {@code out}, with {@code rows} (h * w values) to work in. */
  void gradient(float[] imageGradient, float[] out, float[] rows) {
    int plane = height * width;
    float norm = (float) (1.0 / Math.sqrt(plane) / MAGIC);
    float[] column = new float[2 * height];
    for (int c = 0; c < channels; c++) {
      System.arraycopy(imageGradient, c * plane, rows, 0, plane);
      for (int y = 0; y < height; y++) {
        rowFft.realForward(rows, y * width);
      }
      int base = c * height * halfWidth * 2;
      for (int kx = 0; kx < halfWidth; kx++) {
        int re = realSlot(kx);
        int im = imaginarySlot(kx);
        for (int y = 0; y < height; y++) {
          column[2 * y] = rows[y * width + re];
          column[2 * y + 1] = im >= 0 ? rows[y * width + im] : 0f;
        }
        columnFft.complexForward(column);
        boolean single = kx == 0 || (width % 2 == 0 && kx == width / 2);
        for (int ky = 0; ky < height; ky++) {
          int k = ky * halfWidth + kx;
          float weight = (single ? 1 : 2) * scale[k] * norm;
          out[base + 2 * k] = column[2 * ky] * weight;
          out[base + 2 * k + 1] = column[2 * ky + 1] * weight;
        }
      }
    }
  }

  /**
   * Where frequency kx's real part sits in a row of JTransforms' packed real spectrum: Re[0] at 0;
   * for even w Re[w/2] at 1; for odd w Re[(w-1)/2] at w - 1 (its imaginary part at 1); the others at 2kx.
   */
  private int realSlot(int kx) {
    if (kx == 0) {
      return 0;
    }
    if (width % 2 == 0 && kx == width / 2) {
      return 1;
    }
    return width % 2 == 1 && kx == (width - 1) / 2 ? width - 1 : 2 * kx;
  }

  /** Where its imaginary part sits; -1 for kx = 0 and even w's Nyquist column, which have none (taken as 0). */
  private int imaginarySlot(int kx) {
    if (kx == 0 || (width % 2 == 0 && kx == width / 2)) {
      return -1;
    }
    return width % 2 == 1 && kx == (width - 1) / 2 ? 1 : 2 * kx + 1;
  }
}

package org.netvis.plugins.featurevisualization;

import java.util.Random;

/**
 * How the optimized parameters become an RGB image in [0, 1] ([3, H, W], image channel order), and
 * how a gradient on that image goes back to the parameters: Lucid's {@code image(...)} pipeline.
 *
 * <ul>
 *   <li>{@code pixel}: the parameters are the image. Without {@code decorrelate} they are [0, 1] pixels
 *       themselves, started at 0.5 plus N(0, 0.01) noise and clamped after every step, as class
 *       visualization does; with it they go through Lucid's colour and sigmoid.
 *   <li>{@code fft}: a scaled half spectrum per channel ({@link FourierImage}).
 * </ul>
 * Then, where {@code decorrelate}: Lucid's {@code _linear_decorelate_color} (the square root of
 * ImageNet's colour correlation, columns normalized by the largest column norm), and a sigmoid to
 * [0, 1] for {@code fft} or decorrelated images ({@code to_valid_rgb(..., sigmoid=True)}).
 */
final class ImageParameterization {
  /** Lucid's {@code color_correlation_svd_sqrt}. */
  static final float[][] COLOR_CORRELATION_SVD_SQRT = {
      {0.26f, 0.09f, 0.02f},
      {0.27f, 0.00f, -0.05f},
      {0.27f, -0.09f, 0.03f}};

  /** Initial standard deviation of the parameters (Lucid's {@code sd=0.01}). */
  static final double INITIAL_SD = 0.01;

  enum Basis { PIXEL, FFT }

  private final Basis basis;
  private final boolean decorrelate;
  private final int size;
  private final FourierImage fourier;
  private final float[][] color = normalizedColorMatrix();
  // Arrays a step works in, kept from step to step: this parameterization belongs to one image, and
  // one thread works on that image at a time.
  private final float[][] work = new float[3][];
  private float[] parameterGradient;

  ImageParameterization(Basis basis, boolean decorrelate, int size, double decayPower) {
    this.basis = basis;
    this.decorrelate = decorrelate;
    this.size = size;
    this.fourier = basis == Basis.FFT ? new FourierImage(3, size, size, decayPower) : null;
  }

  /** The colour matrix divided by its largest column L2 norm, as Lucid uses it. */
  static float[][] normalizedColorMatrix() {
    double max = 0;
    for (int col = 0; col < 3; col++) {
      double n = 0;
      for (int row = 0; row < 3; row++) {
        n += COLOR_CORRELATION_SVD_SQRT[row][col] * (double) COLOR_CORRELATION_SVD_SQRT[row][col];
      }
      max = Math.max(max, Math.sqrt(n));
    }
    float[][] m = new float[3][3];
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 3; c++) {
        m[r][c] = (float) (COLOR_CORRELATION_SVD_SQRT[r][c] / max);
      }
    }
    return m;
  }

  int size() {
    return size;
  }

  /** Whether the image is clamped to [0, 1] after each step (plain pixels) rather than squashed by a sigmoid. */
  boolean clamps() {
    return basis == Basis.PIXEL && !decorrelate;
  }

  int parameterCount() {
    return basis == Basis.FFT ? fourier.parameterCount() : 3 * size * size;
  }

  float[] initial(Random random) {
    float[] p = new float[parameterCount()];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (INITIAL_SD * random.nextGaussian()) + (clamps() ? 0.5f : 0f);
    }
    return p;
  }

  /** The image in [0, 1] ([3, size, size]). */
  float[] image(float[] parameters) {
    float[] out = new float[3 * size * size];
    image(parameters, out);
    return out;
  }

  /** {@link #image(float[])} written into {@code out}. */
  void image(float[] parameters, float[] out) {
    float[] t = decorrelate ? work(0) : out;
    if (basis == Basis.FFT) {
      fourier.image(parameters, t);
    } else {
      System.arraycopy(parameters, 0, t, 0, t.length);
    }
    if (clamps()) {
      return;
    }
    if (decorrelate) {
      mixColors(t, out, false);
    }
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (1.0 / (1.0 + Math.exp(-out[i])));
    }
  }

  /**
   * The gradient with respect to the parameters, given the gradient with respect to {@link #image}
   * (its first 3 * size * size values) and that image (its sigmoid's output, which the render loop
   * already has: not computed again). The array returned is this parameterization's own, written
   * over by the next call.
   */
  float[] gradient(float[] rgb, float[] imageGradient) {
    float[] g = basis == Basis.FFT || decorrelate ? work(0) : parameterGradient();
    if (clamps()) {
      System.arraycopy(imageGradient, 0, g, 0, g.length);
      return g;
    }
    for (int i = 0; i < rgb.length; i++) {
      g[i] = imageGradient[i] * rgb[i] * (1 - rgb[i]);
    }
    if (decorrelate) {
      float[] mixed = basis == Basis.FFT ? work(1) : parameterGradient();
      mixColors(g, mixed, true);
      g = mixed;
    }
    if (basis == Basis.FFT) {
      fourier.gradient(g, parameterGradient(), work(2));
      return parameterGradient();
    }
    return g;
  }

  private float[] work(int which) {
    if (work[which] == null) {
      work[which] = new float[3 * size * size];
    }
    return work[which];
  }

  private float[] parameterGradient() {
    if (parameterGradient == null) {
      parameterGradient = new float[parameterCount()];
    }
    return parameterGradient;
  }

  /** After an optimizer step: plain pixels stay in [0, 1]. */
  void project(float[] parameters) {
    if (clamps()) {
      for (int i = 0; i < parameters.length; i++) {
        parameters[i] = Math.max(0f, Math.min(1f, parameters[i]));
      }
    }
  }

  /** out[c] = sum_j M[c][j] in[j] per pixel, or with M transposed (the adjoint); one pass over the planes. */
  private void mixColors(float[] in, float[] out, boolean transpose) {
    int plane = size * size;
    float[][] m = new float[3][3];
    for (int c = 0; c < 3; c++) {
      for (int j = 0; j < 3; j++) {
        m[c][j] = transpose ? color[j][c] : color[c][j];
      }
    }
    for (int i = 0; i < plane; i++) {
      float r = in[i];
      float g = in[plane + i];
      float b = in[2 * plane + i];
      out[i] = m[0][0] * r + m[0][1] * g + m[0][2] * b;
      out[plane + i] = m[1][0] * r + m[1][1] * g + m[1][2] * b;
      out[2 * plane + i] = m[2][0] * r + m[2][1] * g + m[2][2] * b;
    }
  }
}

package org.netvis.plugins.featurevisualization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every map the gradient flows back through, checked against central finite differences of
 * L(x) = sum(y * f(x)) for a random y: the transforms' adjoints, the inverse FFT's, and the full
 * parameterization (FFT, colour, sigmoid). Values Lucid defines are checked against numbers written
 * out from numpy.
 */
class AdjointTest {
  private static final int C = 3;

  /** Largest relative difference between the analytic and the finite-difference directional derivatives. */
  private static double check(Function<float[], float[]> f, Function<float[], float[]> adjointAtX, int inSize,
      int directions, long seed) {
    Random r = new Random(seed);
    float[] x = new float[inSize];
    for (int i = 0; i < inSize; i++) {
      x[i] = (float) r.nextGaussian();
    }
    float[] fx = f.apply(x);
    double[] y = new double[fx.length];
    float[] yf = new float[fx.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = r.nextGaussian();
      yf[i] = (float) y[i];
    }
    float[] grad = adjointAtX.apply(yf);
    double worst = 0;
    for (int k = 0; k < directions; k++) {
      float[] d = new float[inSize];
      double analytic = 0;
      for (int i = 0; i < inSize; i++) {
        d[i] = (float) r.nextGaussian();
        analytic += (double) grad[i] * d[i];
      }
      double h = 1e-2;
      float[] plus = x.clone();
      float[] minus = x.clone();
      for (int i = 0; i < inSize; i++) {
        plus[i] += (float) (h * d[i]);
        minus[i] -= (float) (h * d[i]);
      }
      float[] fp = f.apply(plus);
      float[] fm = f.apply(minus);
      double numeric = 0;
      for (int i = 0; i < y.length; i++) {
        numeric += y[i] * ((double) fp[i] - fm[i]) / (2 * h);
      }
      worst = Math.max(worst, Math.abs(analytic - numeric) / Math.max(1e-6, Math.abs(numeric)));
    }
    return worst;
  }

  /** Lucid's pad as a window around the image. */
  private static Resampling pad(int h, int w, int pad, float value) {
    return Resampling.window(h, w, -pad, -pad, h + 2 * pad, w + 2 * pad, value);
  }

  /** A crop as a window inside the image. */
  private static Resampling crop(int h, int w, int top, int left, int outHeight, int outWidth) {
    return Resampling.window(h, w, top, left, outHeight, outWidth, 0f);
  }

  private static void assertAdjoint(String what, Resampling map, int h, int w) {
    double err = check(x -> map.apply(x, C), g -> map.adjoint(g, C), C * h * w, 5, what.hashCode());
    System.out.printf("%-28s relative error %.2e%n", what, err);
    assertTrue(err < 1e-3, what + ": " + err);
  }

  @Test
  void padCropScaleRotateAndResizeHaveExactAdjoints() {
    assertAdjoint("pad 12 (0.5)", pad(20, 17, 12, 0.5f), 20, 17);
    assertAdjoint("jitter crop 8", crop(30, 28, 3, 7, 22, 20), 30, 28);
    assertAdjoint("scale 0.9", Resampling.resize(31, 31, 27, 27), 31, 31);
    assertAdjoint("scale 1.1", Resampling.resize(31, 31, 34, 34), 31, 31);
    assertAdjoint("rotate -7 degrees", Resampling.rotate(25, 21, -7), 25, 21);
    assertAdjoint("rotate 10 degrees", Resampling.rotate(24, 24, 10), 24, 24);
    assertAdjoint("resize to 224", Resampling.resize(40, 40, 224, 224), 40, 40);
  }

  @Test
  void aDrawnStandardChainHasAnExactAdjoint() {
    Transforms t = Transforms.standard();
    for (long seed = 0; seed < 4; seed++) {
      Transforms.Workspace work = new Transforms.Workspace();
      List<Resampling> chain = t.draw(new Random(seed), 32, 40, 40, work);
      Function<float[], float[]> apply = x -> {
        float[] out = new float[C * 40 * 40];
        Transforms.apply(chain, x, C, work, out, 0);
        return out;
      };
      Function<float[], float[]> adjoint = g -> java.util.Arrays.copyOf(Transforms.adjoint(chain, g, 0, C, work), C * 32 * 32);
      double err = check(apply, adjoint, C * 32 * 32, 5, seed);
      assertTrue(err < 1e-3, "chain " + seed + ": " + err);
    }
  }

  @Test
  void aChainWritesAndReadsAtItsImagesPlaceInTheBatch() {
    Random random = new Random(11);
    float[] x = new float[C * 32 * 32];
    float[] g = new float[2 * C * 40 * 40];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    int second = C * 40 * 40;
    for (long seed = 0; seed < 4; seed++) {
      Transforms.Workspace work = new Transforms.Workspace();
      List<Resampling> chain = Transforms.standard().draw(new Random(seed), 32, 40, 40, work);
      // The same maps one after the other, each into a new array.
      float[] expected = x;
      for (Resampling r : chain) {
        expected = r.apply(expected, C);
      }
      float[] expectedBack = java.util.Arrays.copyOfRange(g, second, 2 * second);
      for (int i = chain.size() - 1; i >= 0; i--) {
        expectedBack = chain.get(i).adjoint(expectedBack, C);
      }
      float[] batch = new float[2 * second];
      Transforms.apply(chain, x, C, work, batch, second);
      assertArrayEquals(expected, java.util.Arrays.copyOfRange(batch, second, 2 * second), "chain " + seed);
      assertArrayEquals(new float[second], java.util.Arrays.copyOf(batch, second), "the first image's place untouched");
      float[] back = Transforms.adjoint(chain, g, second, C, work);
      assertArrayEquals(expectedBack, java.util.Arrays.copyOf(back, C * 32 * 32), "adjoint of chain " + seed);
    }
    // No transforms at the model's size: a copy.
    List<Resampling> none = Transforms.NONE.draw(new Random(0), 40, 40, 40);
    float[] image = java.util.Arrays.copyOf(g, second);
    float[] out = new float[second];
    Transforms.apply(none, image, C, new Transforms.Workspace(), out, 0);
    assertArrayEquals(image, out);
  }

  @Test
  void aWindowIsTheCropOfThePaddedImageBothWays() {
    Random random = new Random(9);
    int h = 13;
    int w = 11;
    int pad = 4;
    int jitter = 3;
    float[] x = new float[C * h * w];
    float[] g = new float[C * (h + 2 * pad - jitter) * (w + 2 * pad - jitter)];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    Resampling padded = pad(h, w, pad, 0.5f);
    for (int top = 0; top <= jitter; top++) {
      for (int left = 0; left <= jitter; left++) {
        Resampling crop = crop(h + 2 * pad, w + 2 * pad, top, left, h + 2 * pad - jitter,
            w + 2 * pad - jitter);
        Resampling window = Resampling.window(h, w, top - pad, left - pad, h + 2 * pad - jitter, w + 2 * pad - jitter,
            0.5f);
        assertArrayEquals(crop.apply(padded.apply(x, C), C), window.apply(x, C), "at " + top + ", " + left);
        assertArrayEquals(padded.adjoint(crop.adjoint(g, C), C), window.adjoint(g, C), "adjoint at " + top + ", "
            + left);
      }
    }
  }

  @Test
  void transformsMoveContentAsDescribed() {
    // Pad then crop at (pad, pad) is the identity; the pad value shows where the crop leaves the image.
    float[] x = new float[C * 6 * 5];
    for (int i = 0; i < x.length; i++) {
      x[i] = i;
    }
    float[] padded = pad(6, 5, 2, 0.5f).apply(x, C);
    assertArrayEquals(x, crop(10, 9, 2, 2, 6, 5).apply(padded, C));
    assertEquals(0.5f, padded[0]);
    // A 90-degree rotation of a square is a permutation.
    float[] rotated = Resampling.rotate(5, 5, 90).apply(x, C);
    float[] sorted = rotated.clone();
    java.util.Arrays.sort(sorted);
    float[] expected = java.util.Arrays.copyOf(x, C * 25);
    java.util.Arrays.sort(expected);
    assertArrayEquals(expected, sorted, 1e-4f);
    // Resizing to the same size is the identity.
    assertArrayEquals(x, Resampling.resize(6, 5, 6, 5).apply(x, C), 1e-6f);
  }

  @Test
  void inverseFftMatchesNumpysOrthonormalIrfft2() {
    // numpy: s = 1 / max(f, 1 / max(h, w)); X = (p[..., 0] + 1j p[..., 1]) * s with
    // p = sin(0.7 * arange(4 * 4 * 2)); np.fft.irfft2(X, s=(4, 6), norm="ortho") / 4.
    double[] expected = {0.8407579, -1.5808365, -1.6374987, -0.3663041, -0.5056361, 0.7897122, 0.2707861, -0.5446815,
        -1.1933241, -0.2774007, 0.6016415, 0.5271144, 0.5867867, 0.6513609, -0.6547081, -0.3777280, 0.3682020,
        0.6866488, 0.7699739, 1.3726816, -0.4855558, -0.6263219, -0.0288833, 0.8132126};
    FourierImage f = new FourierImage(1, 4, 6, 1);
    float[] p = new float[f.parameterCount()];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) Math.sin(0.7 * i);
    }
    float[] img = f.image(p);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], img[i], 2e-6, "pixel " + i);
    }
  }

  @Test
  void inverseFftHasAnExactAdjointForEvenAndOddSizes() {
    for (int[] hw : new int[][] {{8, 8}, {6, 9}, {7, 5}, {16, 12}}) {
      FourierImage f = new FourierImage(C, hw[0], hw[1], 1);
      double err = check(f::image, f::gradient, f.parameterCount(), 5, hw[0] * 31L + hw[1]);
      System.out.printf("irfft2 %dx%d adjoint relative error %.2e%n", hw[0], hw[1], err);
      assertTrue(err < 1e-3, hw[0] + "x" + hw[1] + ": " + err);
    }
  }

  @Test
  void spectrumScaleIsLucids() {
    // numpy: 1 / np.maximum(rfft2d_freqs(6, 8), 1 / 8) ** 1
    double[][] expected = {
        {8, 8, 4, 2.666667, 2},
        {6, 4.8, 3.328201, 2.436831, 1.897367},
        {3, 2.808988, 2.4, 1.993092, 1.664101},
        {2, 1.940285, 1.788854, 1.6, 1.414214},
        {3, 2.808988, 2.4, 1.993092, 1.664101},
        {6, 4.8, 3.328201, 2.436831, 1.897367}};
    float[] s = FourierImage.spectrumScale(6, 8, 1);
    float[] squared = FourierImage.spectrumScale(6, 8, 2);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 5; x++) {
        assertEquals(expected[y][x], s[y * 5 + x], 1e-5, "(" + y + ", " + x + ")");
        assertEquals(expected[y][x] * expected[y][x], squared[y * 5 + x], 1e-4, "decay 2 (" + y + ", " + x + ")");
      }
    }
  }

  @Test
  void colorMatrixIsLucidsNormalizedSvdSqrt() {
    // numpy: c / np.max(np.linalg.norm(c, axis=0)) for Lucid's color_correlation_svd_sqrt.
    float[][] expected = {
        {0.56282854f, 0.19482528f, 0.0432945f},
        {0.5844758f, 0f, -0.10823626f},
        {0.5844758f, -0.19482528f, 0.06494176f}};
    float[][] m = ImageParameterization.normalizedColorMatrix();
    for (int r = 0; r < 3; r++) {
      assertArrayEquals(expected[r], m[r], 1e-6f, "row " + r);
    }
  }

  @Test
  void parameterizationGradientsMatchFiniteDifferences() {
    for (ImageParameterization.Basis basis : ImageParameterization.Basis.values()) {
      for (boolean decorrelate : new boolean[] {true, false}) {
        ImageParameterization p = new ImageParameterization(basis, decorrelate, 12, 1);
        if (p.clamps()) {
          continue;
        }
        // Near Lucid's initial scale, where the sigmoid is not saturated.
        double err = check(x -> p.image(scaled(x, 0.3f)),
            g -> scaledGrad(p.gradient(p.image(scaled(xAt(p, 7), 0.3f)), g)), p.parameterCount(), 5, 7);
        System.out.printf("%s decorrelate=%s gradient relative error %.2e%n", basis, decorrelate, err);
        assertTrue(err < 2e-3, basis + " " + decorrelate + ": " + err);
      }
    }
  }

  /** The random point {@link #check} draws for seed 7 (it draws x first). */
  private static float[] xAt(ImageParameterization p, long seed) {
    Random r = new Random(seed);
    float[] x = new float[p.parameterCount()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  private static float[] scaled(float[] x, float s) {
    float[] out = x.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] *= s;
    }
    return out;
  }

  private static float[] scaledGrad(float[] g) {
    return scaled(g, 0.3f);
  }
}

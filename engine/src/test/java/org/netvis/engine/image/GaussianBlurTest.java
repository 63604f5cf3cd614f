package org.netvis.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** SciPy's gaussian_filter1d against values worked out by hand. */
class GaussianBlurTest {

  @Test
  void kernelForSigmaHalfIsScipys() {
    // scipy.ndimage.gaussian_filter1d(sigma=0.5, truncate=4.0): radius int(4 * 0.5 + 0.5) = 2,
    // weights exp(-x^2 / (2 * 0.25)) = exp(-2 x^2) for x = -2..2, normalized.
    double e2 = Math.exp(-2);
    double e8 = Math.exp(-8);
    double sum = 1 + 2 * e2 + 2 * e8;
    double[] expected = {e8 / sum, e2 / sum, 1 / sum, e2 / sum, e8 / sum};
    assertArrayEquals(expected, GaussianBlur.gaussianKernel(0.5), 1e-15);
    assertEquals(9, GaussianBlur.gaussianKernel(1.0).length, "radius int(4 * 1 + 0.5) = 4 for sigma 1");
    assertEquals(13, GaussianBlur.gaussianKernel(1.5).length, "radius int(6.5) = 6 for sigma 1.5");
  }

  @Test
  void blurOfAnImpulseWithReflectBorders() {
    double[] k = GaussianBlur.gaussianKernel(0.5);
    // One channel, 1 row x 4 columns, impulse at the first column: blur along H (one row: the
    // reflect mode maps every offset back to row 0, so the row is unchanged), then along W.
    float[] row = {1, 0, 0, 0};
    float[] out = GaussianBlur.blur(row, 1, 1, 4, 0.5);
    // Along W with reflect (d c b a | a b c d): position 0 sees x[-1] = x[0] and x[-2] = x[1].
    double p0 = k[2] + k[1];                  // offsets 0 and -1 (column -1 reflects onto column 0)
    double p1 = k[1] + k[0];                  // offset -1 is column 0, offset -2 reflects onto column 0
    double p2 = k[0];                         // offset -2 from column 2 is column 0
    assertArrayEquals(new float[] {(float) p0, (float) p1, (float) p2, 0f}, out, 1e-7f);
    float sum = 0;
    for (float v : out) {
      sum += v;
    }
    assertEquals(1f, sum, 1e-6f, "reflect mode keeps the total");
  }

  @Test
  void blurRunsAlongHeightThenWidth() {
    // 3x3 impulse in the centre: the result is the outer product of the kernel, truncated at the border.
    float[] img = new float[9];
    img[4] = 1;
    float[] out = GaussianBlur.blur(img, 1, 3, 3, 0.5);
    double[] k = GaussianBlur.gaussianKernel(0.5);
    // 1-D blur of [0, 1, 0] with reflect borders: an edge pixel sees the centre at offset +1
    // (weight k[3] = k[1]) and again at offset -2, which reflects onto the centre (weight k[0]).
    double[] w = {k[0] + k[1], k[2], k[0] + k[1]};
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 3; x++) {
        assertEquals(w[y] * w[x], out[y * 3 + x], 1e-7, "(" + y + "," + x + ")");
      }
    }
  }

  @Test
  void everyPixelIsTheKernelSumInTapOrderBitForBit() {
    java.util.Random random = new java.util.Random(7);
    int[][] sizes = {{1, 1}, {2, 7}, {5, 3}, {13, 17}, {31, 29}, {3, 40}};
    for (double sigma : new double[] {0.5, 1.0, 3.0}) {
      for (int[] size : sizes) {
        int h = size[0];
        int w = size[1];
        float[] image = new float[3 * h * w];
        for (int i = 0; i < image.length; i++) {
          image[i] = (float) random.nextGaussian() * 40;
        }
        float[] expected = definition(definition(image, 3, h, w, sigma, true), 3, h, w, sigma, false);
        assertArrayEquals(expected, GaussianBlur.blur(image, 3, h, w, sigma),
            "sigma " + sigma + ", " + h + " x " + w);
        // In place over the image, the scratch longer than the image and full of leftovers.
        float[] inPlace = image.clone();
        float[] scratch = new float[image.length + 5];
        java.util.Arrays.fill(scratch, Float.NaN);
        GaussianBlur.blurInPlace(inPlace, scratch, 3, h, w, sigma);
        assertArrayEquals(expected, inPlace, "in place, sigma " + sigma + ", " + h + " x " + w);
      }
    }
  }

  /** gaussian_filter1d per pixel as SciPy defines it: the reflected taps summed in double, in order. */
  private static float[] definition(float[] in, int channels, int h, int w, double sigma, boolean alongHeight) {
    double[] k = GaussianBlur.gaussianKernel(sigma);
    int r = k.length / 2;
    float[] out = new float[in.length];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          double s = 0;
          for (int j = 0; j < k.length; j++) {
            int yy = alongHeight ? GaussianBlur.reflect(y + j - r, h) : y;
            int xx = alongHeight ? x : GaussianBlur.reflect(x + j - r, w);
            s += k[j] * in[(c * h + yy) * w + xx];
          }
          out[(c * h + y) * w + x] = (float) s;
        }
      }
    }
    return out;
  }

  @Test
  void reflectIndexing() {
    // scipy 'reflect': ... 1 0 | 0 1 2 3 | 3 2 ...
    assertEquals(0, GaussianBlur.reflect(-1, 4));
    assertEquals(1, GaussianBlur.reflect(-2, 4));
    assertEquals(3, GaussianBlur.reflect(4, 4));
    assertEquals(2, GaussianBlur.reflect(5, 4));
  }
}

package org.netvis.plugins.deletioninsertion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;

/** Deletion and insertion of a given map against the PyTorch reference; the pieces by hand. */
class DeletionInsertionTest {
  @TempDir Path dir;

  @Test
  void aucsOfAGivenMapMatchTheReference() throws Exception {
    Tensor x = AttributionReference.inputs();
    int n = (int) x.dim(0);
    // A map with ties (rounded gradients would do too): smooth structure plus repeated values.
    float[] maps = new float[n * 224 * 224];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < 224 * 224; k++) {
        int y = k / 224;
        int xx = k % 224;
        maps[i * 224 * 224 + k] = (float) Math.round(8 * Math.sin((y + 13 * i) / 17.0) * Math.cos(xx / 23.0));
      }
    }
    Npy.write(dir.resolve("deletion-insertion_map.npy"), new Tensor(new long[] {n, 224, 224}, maps));
    AttributionReference.compute(dir, "deletion-insertion");
    NpyArray expected = Npy.read(dir.resolve("deletion-insertion_auc_f64.npy"));
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      float[][] perImage = new float[n][];
      for (int i = 0; i < n; i++) {
        perImage[i] = java.util.Arrays.copyOfRange(maps, i * 224 * 224, (i + 1) * 224 * 224);
      }
      // 1792 pixels per step (28 steps) keeps the float64 reference quick; the default 224 differs only in count.
      // 8 images per forward pass: each curve's 29 points run in four batches, the last one short.
      DeletionInsertionParameters p = new DeletionInsertionParameters(List.of(), Map.of(), 1792, 11, 5.0, 8);
      List<DeletionInsertion.Curves> curves = DeletionInsertion.curves(s.engine, x, perImage, p);
      double[] ref = expected.asDoubles();
      for (int i = 0; i < n; i++) {
        System.out.printf("image %d: deletion AUC %.5f (reference %.5f), insertion AUC %.5f (reference %.5f)%n", i,
            curves.get(i).deletionAuc(), ref[2 * i], curves.get(i).insertionAuc(), ref[2 * i + 1]);
        assertEquals(ref[2 * i], curves.get(i).deletionAuc(), 1e-3, "deletion AUC of image " + i);
        assertEquals(ref[2 * i + 1], curves.get(i).insertionAuc(), 1e-3, "insertion AUC of image " + i);
        assertEquals(29, curves.get(i).deletion().length, "28 steps of 1792 pixels, step 0 included");
      }
    }
  }

  @Test
  void rankingIsStableDescendingAndTheAreaIsTheTrapezoidRule() {
    assertArrayEquals(new int[] {1, 3, 0, 2}, DeletionInsertion.ranking(new float[] {1, 5, 1, 5}));
    assertEquals(0.5, DeletionInsertion.auc(new double[] {1, 0.5, 0}), 1e-12);
    assertEquals(0.375, DeletionInsertion.auc(new double[] {0, 0.5, 0.5}), 1e-12);
  }

  @Test
  void rankingAndBlurAreTheirDefinitions() {
    java.util.Random r = new java.util.Random(3);
    for (int trial = 0; trial < 10; trial++) {
      int h = 5 + r.nextInt(40);
      int w = 5 + r.nextInt(40);
      int k = 1 + 2 * r.nextInt(6);
      // Ties, both zeros and NaN: ranked as a stable sort of the indices by Double.compare of -value.
      float[] map = new float[h * w];
      for (int i = 0; i < map.length; i++) {
        int kind = r.nextInt(6);
        map[i] = kind == 0 ? 0f : kind == 1 ? -0f : kind == 2 ? Float.NaN : kind == 3 ? 1f : (float) r.nextGaussian();
      }
      Integer[] byValue = new Integer[map.length];
      for (int i = 0; i < map.length; i++) {
        byValue[i] = i;
      }
      java.util.Arrays.sort(byValue, java.util.Comparator.comparingDouble((Integer i) -> -map[i]));
      assertArrayEquals(java.util.Arrays.stream(byValue).mapToInt(Integer::intValue).toArray(),
          DeletionInsertion.ranking(map), "ranking, trial " + trial);
      // Zero-padded convolution: each pixel's float products of the taps inside, summed in double in
      // row-major tap order.
      float[] image = new float[3 * h * w];
      for (int i = 0; i < image.length; i++) {
        image[i] = r.nextFloat() * 4 - 2;
      }
      float[] kernel = DeletionInsertion.kernel(k, 0.5 + 4 * r.nextDouble());
      float[] expected = new float[image.length];
      for (int ch = 0; ch < 3; ch++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            double sum = 0;
            for (int dy = 0; dy < k; dy++) {
              for (int dx = 0; dx < k; dx++) {
                int yy = y + dy - k / 2;
                int xx = x + dx - k / 2;
                if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                  sum += kernel[dy * k + dx] * image[(ch * h + yy) * w + xx];
                }
              }
            }
            expected[(ch * h + y) * w + x] = (float) sum;
          }
        }
      }
      assertArrayEquals(expected, DeletionInsertion.blurred(image, 3, h, w, kernel, k), "blur, trial " + trial);
    }
  }

  @Test
  void theBlurKernelIsScipysGaussianFilterOfAnImpulse() {
    float[] k = DeletionInsertion.kernel(11, 5.0);
    double sum = 0;
    for (float v : k) {
      sum += v;
    }
    assertEquals(1.0, sum, 1e-5, "reflect borders keep the mass");
    assertEquals(k[0], k[120], 1e-7, "symmetric");
    // Separable: k[y][x] * k[5][5] = k[y][5] * k[5][x].
    for (int y = 0; y < 11; y++) {
      for (int x = 0; x < 11; x++) {
        assertEquals(k[y * 11 + 5] * k[5 * 11 + x], k[y * 11 + x] * k[5 * 11 + 5], 1e-9);
      }
    }
    // A plain Gaussian would give the corner exp(-1) of the centre; the reflected tails of a sigma
    // wider than the grid raise it, and the centre stays the largest.
    double ratio = k[0] / k[5 * 11 + 5];
    org.junit.jupiter.api.Assertions.assertTrue(ratio > Math.exp(-1) && ratio < 1, "corner / centre " + ratio);
  }
}

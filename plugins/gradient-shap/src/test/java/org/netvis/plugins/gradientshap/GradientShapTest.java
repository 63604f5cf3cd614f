package org.netvis.plugins.gradientshap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.attribution.GradientShapDraws;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;
import org.netvis.engine.testing.Compare;

/** GradientSHAP against the PyTorch reference on netvis' own draws, the draws themselves, batching and errors. */
class GradientShapTest {
  private static final int SAMPLES = 4;
  private static final double STDEVS = 0.1;

  @TempDir static Path dir;

  /** Two images for the distribution's file: a constant grey and a horizontal ramp, in the normalized space. */
  private static Path distributionFile() throws Exception {
    Path file = dir.resolve("distribution.npy");
    int plane = 224 * 224;
    float[] v = new float[2 * 3 * plane];
    for (int k = 0; k < 3 * plane; k++) {
      v[k] = 0.25f;
      v[3 * plane + k] = -2f + 4f * (k % 224) / 223f;
    }
    Npy.write(file, new Tensor(new long[] {2, 3, 224, 224}, v));
    return file;
  }

  @Test
  void matchesTheReferenceOnItsOwnDraws() throws Exception {
    Path file = distributionFile();
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 3)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Attribution method = s.context.attributions().create("gradient-shap", Map.of("baselines",
          List.of("zeros", "uniform", file.toString()), "n_samples", SAMPLES, "stdevs", STDEVS,
          "internal_batch_size", 6), s.context, "params");
      GradientShap shap = (GradientShap) method;
      assertEquals(4, shap.draws().distributionSize());
      List<List<GradientShapDraws.Draw>> draws = shap.draws().of(x);
      int n = (int) x.dim(0);
      int item = x.itemSize();
      int[] picked = new int[4];
      double noiseSum = 0;
      double noiseSquares = 0;
      float[][] range = Pixels.validRange(Preprocessing.IMAGENET);
      Tensor grid = Npy.readTensor(file);
      for (int i = 0; i < n; i++) {
        for (int d = 0; d < SAMPLES; d++) {
          GradientShapDraws.Draw draw = draws.get(i).get(d);
          assertTrue(draw.alpha() >= 0 && draw.alpha() < 1, "alpha " + draw.alpha());
          picked[draw.baseline()]++;
          for (int k = 0; k < item; k++) {
            double e = draw.noisy()[k] - x.data()[i * item + k];
            noiseSum += e;
            noiseSquares += e * e;
            float b = draw.base()[k];
            switch (draw.baseline()) {
              case 0 -> assertEquals(0f, b);
              case 1 -> {
                int c = k / (224 * 224);
                assertTrue(b >= range[0][c] && b <= range[1][c], "uniform baseline value " + b);
              }
              default -> assertEquals(grid.data()[(draw.baseline() - 2) * item + k], b);
            }
          }
        }
      }
      long values = (long) n * SAMPLES * item;
      double mean = noiseSum / values;
      double std = Math.sqrt(noiseSquares / values - mean * mean);
      System.out.printf("gradient-shap draws: baselines picked %s, noise mean %.2e std %.5f%n",
          Arrays.toString(picked), mean, std);
      assertEquals(0, mean, 1e-3);
      assertEquals(STDEVS, std, 1e-3);
      assertTrue(Arrays.stream(picked).filter(c -> c > 0).count() >= 3, "32 draws over 4 baselines: " + Arrays.toString(picked));

      AttributionReference.writeDraws(dir, "gradient-shap", draws, x.shape());
      AttributionReference.compute(dir, "gradient-shap");

      Tensor a = method.attribute(x, labels);
      AttributionReference.assertMatches("gradient-shap", a, dir, "gradient-shap");
      double[] delta = ((ConvergenceDelta) method).convergenceDelta(a, x, labels);
      double[] expected = AttributionReference.read(dir, "gradient-shap_delta_f64").asDoubles();
      Tensor logits = s.engine.scores(x);
      for (int i = 0; i < n; i++) {
        double scale = Math.max(1, Math.abs(logits.data()[i * 1000 + (int) labels[i]]));
        assertEquals(expected[i], delta[i], 1e-3 * scale, "image " + i + " delta " + delta[i] + " vs " + expected[i]);
      }
      System.out.printf("gradient-shap convergence delta %s, reference %s%n", AttributionReference.format(delta),
          AttributionReference.format(expected));
    }
  }

  @Test
  void chunksOfDrawsDoNotChangeTheAttributions() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 5)) {
      Tensor x = AttributionReference.inputs().slice(0, 3);
      long[] labels = Arrays.copyOf(AttributionReference.labels(), 3);
      // 3 images x 5 draws: one call of 15, or chunks of 4 that split images' draws and end with a short one.
      Map<String, Object> params = Map.of("baselines", List.of("black", "uniform"), "n_samples", 5, "stdevs", 0.2);
      Tensor whole = create(s, params, 15).attribute(x, labels);
      Tensor chunked = create(s, params, 4).attribute(x, labels);
      Compare.assertSameUpToRounding(whole.data(), chunked.data());
    }
  }

  private static Attribution create(AttributionReference.Setup s, Map<String, Object> params, int perCall) {
    Map<String, Object> all = new java.util.HashMap<>(params);
    all.put("internal_batch_size", perCall);
    return s.context.attributions().create("gradient-shap", all, s.context, "params");
  }

  @Test
  void badBaselinesAreNamed() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
          () -> create(s, Map.of("baselines", List.of()), 8));
      assertEquals("baselines: the list is empty; expected at least one baseline", empty.getMessage());
      IllegalArgumentException grey = assertThrows(IllegalArgumentException.class,
          () -> create(s, Map.of("baselines", List.of("zeros", "grey")), 8));
      assertEquals("baselines[1]: 'grey' is not zeros, black, blur, uniform or an .npy path", grey.getMessage());
      Path small = dir.resolve("small.npy");
      Npy.write(small, Tensor.zeros(2, 3, 10, 10));
      IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
          () -> create(s, Map.of("baselines", List.of(small.toString())), 8));
      assertEquals("baselines[0]: " + small + " has shape [2, 3, 10, 10]; expected [3, 224, 224] or (N, 3, 224, 224)",
          shape.getMessage());
    }
  }
}

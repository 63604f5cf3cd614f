package org.netvis.plugins.deeplift;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;
import org.netvis.engine.testing.Compare;

/** DeepLIFT against the PyTorch reference (rescaled ReLU and max-pool modules), its completeness, batching, errors. */
class DeepLiftTest {
  @TempDir static Path dir;

  @Test
  void matchesTheReferenceAndAddsUpToTheScoreDifference() throws Exception {
    AttributionReference.compute(dir, "deeplift");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Attribution method = s.context.attributions().create("deeplift", Map.of(), s.context, "params");
      Tensor a = method.attribute(x, labels);
      AttributionReference.assertMatches("deeplift", a, dir, "deeplift");
      double[] delta = ((ConvergenceDelta) method).convergenceDelta(a, x, labels);
      double[] reference = AttributionReference.read(dir, "deeplift_delta_f64").asDoubles();
      Tensor logits = s.engine.scores(x);
      for (int i = 0; i < delta.length; i++) {
        double score = Math.abs(logits.data()[i * 1000 + (int) labels[i]]);
        // Summation-to-delta: the rescale rule's attributions add up to F(x) - F(0), to float32 rounding.
        assertEquals(0, delta[i], 1e-5 * Math.max(1, score), "image " + i + " delta " + delta[i]);
        assertEquals(0, reference[i], 1e-9, "the float64 reference adds up too");
      }
      System.out.printf("deeplift convergence delta %s (float64 reference %s)%n", AttributionReference.format(delta),
          AttributionReference.format(reference));
    }
  }

  @Test
  void chunksOfImagesDoNotChangeTheAttributions() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs().slice(0, 5);
      long[] labels = Arrays.copyOf(AttributionReference.labels(), 5);
      Map<String, Object> blur = Map.of("baseline", "blur", "internal_batch_size", 5);
      Tensor whole = s.context.attributions().create("deeplift", blur, s.context, "params").attribute(x, labels);
      Tensor chunked = s.context.attributions().create("deeplift", Map.of("baseline", "blur", "internal_batch_size", 2),
          s.context, "params").attribute(x, labels);
      Compare.assertSameUpToRounding(whole.data(), chunked.data());
    }
  }

  @Test
  void deepLiftShapIsTheMeanOverItsBaselinesAndAddsUp() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 4)) {
      Tensor x = AttributionReference.inputs().slice(0, 3);
      long[] labels = Arrays.copyOf(AttributionReference.labels(), 3);
      int item = x.itemSize();
      // A file of two images (a grey and a ramp), and each of them alone.
      float[] two = new float[2 * item];
      for (int k = 0; k < item; k++) {
        two[k] = 0.3f;
        two[item + k] = -1.5f + 3f * (k % 224) / 223f;
      }
      Path file = dir.resolve("two.npy");
      Npy.write(file, new Tensor(new long[] {2, 3, 224, 224}, two));
      List<String> singles = new java.util.ArrayList<>(List.of("zeros", "blur"));
      for (int j = 0; j < 2; j++) {
        Path one = dir.resolve("one_" + j + ".npy");
        Npy.write(one, new Tensor(new long[] {3, 224, 224}, Arrays.copyOfRange(two, j * item, (j + 1) * item)));
        singles.add(one.toString());
      }
      Attribution shap = s.context.attributions().create("deeplift-shap", Map.of("baselines",
          List.of("zeros", "blur", file.toString()), "internal_batch_size", 5), s.context, "params");
      Tensor a = shap.attribute(x, labels);
      double[] mean = new double[a.size()];
      for (String b : singles) {
        Tensor one = s.context.attributions().create("deeplift", Map.of("baseline", b), s.context, "params")
            .attribute(x, labels);
        for (int k = 0; k < mean.length; k++) {
          mean[k] += one.data()[k] / 4.0;
        }
      }
      double max = Arrays.stream(mean).map(Math::abs).max().orElse(0);
      assertTrue(max > 0);
      for (int k = 0; k < mean.length; k++) {
        assertEquals(mean[k], a.data()[k], 1e-6 * max, "value " + k);
      }
      double[] delta = ((ConvergenceDelta) shap).convergenceDelta(a, x, labels);
      for (int i = 0; i < delta.length; i++) {
        assertEquals(0, delta[i], 1e-4, "image " + i);
      }
      System.out.printf("deeplift-shap over 4 baselines: convergence delta %s%n", AttributionReference.format(delta));
      // Uniform noise: the image's own draws, whatever else is in the batch.
      Attribution uniform = s.context.attributions().create("deeplift-shap", Map.of("baselines",
          List.of("uniform", "uniform")), s.context, "params");
      Tensor both = uniform.attribute(x, labels);
      Tensor first = uniform.attribute(x.slice(0, 1), Arrays.copyOf(labels, 1));
      float top = 0;
      for (float v : first.data()) {
        top = Math.max(top, Math.abs(v));
      }
      assertArrayEquals(first.data(), Arrays.copyOf(both.data(), item), 1e-6f * top);
    }
  }

  @Test
  void aBadBaselineIsNamed() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("deeplift", Map.of("baseline", "grey"), s.context, "params"));
      assertEquals("baseline: 'grey' is not zeros, black, blur, uniform or an .npy path", e.getMessage());
      IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("deeplift-shap", Map.of("baselines", List.of()), s.context, "params"));
      assertEquals("baselines: the list is empty; expected at least one baseline", empty.getMessage());
    }
  }
}

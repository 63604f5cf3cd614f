package org.netvis.plugins.deeplift;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;

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
      float max = 0;
      for (float v : whole.data()) {
        max = Math.max(max, Math.abs(v));
      }
      assertTrue(max > 0);
      assertArrayEquals(whole.data(), chunked.data(), 1e-6f * max);
    }
  }

  @Test
  void aBadBaselineIsNamed() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("deeplift", Map.of("baseline", "grey"), s.context, "params"));
      assertEquals("baseline: 'grey' is not zeros, black, blur, uniform or an .npy path", e.getMessage());
    }
  }
}

package org.netvis.plugins.integratedgradients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;
import org.netvis.engine.testing.Compare;

/** Integrated gradients against the PyTorch reference (both rules), its delta, rules and baselines. */
class IntegratedGradientsTest {
  @TempDir static Path dir;

  @BeforeAll
  static void reference() throws Exception {
    AttributionReference.compute(dir, "integrated-gradients-gausslegendre", "integrated-gradients-riemann_trapezoid");
  }

  private void check(String method, String captumName) throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Attribution ig = s.context.attributions().create("integrated-gradients", Map.of("method", method), s.context,
          "params");
      Tensor a = ig.attribute(x, labels);
      AttributionReference.assertMatches("integrated-gradients " + method, a, dir, "integrated-gradients-" + captumName);
      double[] delta = ((ConvergenceDelta) ig).convergenceDelta(a, x, labels);
      double[] expected = AttributionReference.read(dir, "integrated-gradients-" + captumName + "_delta_f64").asDoubles();
      double[] scale = new double[delta.length];
      Tensor logits = s.engine.scores(x);
      for (int i = 0; i < delta.length; i++) {
        scale[i] = Math.abs(logits.data()[i * 1000 + (int) labels[i]]);
        // Both deltas measure the quadrature error of the same integral; float32 sums add ~1e-4 of the score.
        assertEquals(expected[i], delta[i], 1e-3 * Math.max(1, scale[i]) + 0.05 * Math.abs(expected[i]),
            method + " image " + i + " delta " + delta[i] + " vs " + expected[i]);
      }
      System.out.printf("integrated-gradients %s convergence delta %s, reference %s%n", method,
          AttributionReference.format(delta), AttributionReference.format(expected));
    }
  }

  @Test
  void gaussLegendreMatchesTheReference() throws Exception {
    check("gausslegendre", "gausslegendre");
  }

  @Test
  void riemannTrapezoidMatchesTheReference() throws Exception {
    check("riemann_trapezoid", "riemann_trapezoid");
  }

  @Test
  void chunksOfPathPointsDoNotChangeTheAttributions() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs().slice(0, 3);
      long[] labels = java.util.Arrays.copyOf(AttributionReference.labels(), 3);
      // 3 images x 5 points: one call of 15, or chunks of 4 that split paths and end with a short one.
      Tensor whole = s.context.attributions().create("integrated-gradients",
          Map.of("steps", 5, "internal_batch_size", 15), s.context, "params").attribute(x, labels);
      Tensor chunked = s.context.attributions().create("integrated-gradients",
          Map.of("steps", 5, "internal_batch_size", 4), s.context, "params").attribute(x, labels);
      Compare.assertSameUpToRounding(whole.data(), chunked.data());
    }
  }

  @Test
  void baselinesAndBadParameters() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 7)) {
      Tensor x = AttributionReference.inputs().slice(0, 2);
      float[][] range = Pixels.validRange(Preprocessing.IMAGENET);
      IntegratedGradients black = new IntegratedGradients(s.context, params("black"));
      Tensor b = black.baselines(x);
      assertEquals(range[0][0], b.data()[0], 1e-6);
      assertEquals(range[0][2], b.data()[2 * 224 * 224 + 5], 1e-6);
      IntegratedGradients uniform = new IntegratedGradients(s.context, params("uniform"));
      Tensor u1 = uniform.baselines(x);
      Tensor u2 = uniform.baselines(AttributionReference.inputs().slice(0, 1));
      assertArrayEquals(java.util.Arrays.copyOf(u1.data(), x.itemSize()), u2.data(), "image 0's noise is its own");
      for (int k = 0; k < u1.size(); k++) {
        int c = (k / (224 * 224)) % 3;
        assertTrue(u1.data()[k] >= range[0][c] && u1.data()[k] <= range[1][c]);
      }
      Path npy = dir.resolve("baseline.npy");
      Npy.write(npy, Tensor.zeros(3, 224, 224));
      assertEquals(0f, new IntegratedGradients(s.context, params(npy.toString())).baselines(x).data()[123]);
      IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
          () -> new IntegratedGradients(s.context, params("grey")));
      assertTrue(bad.getMessage().startsWith("baseline: 'grey'"), bad.getMessage());
      Path small = dir.resolve("small.npy");
      Npy.write(small, Tensor.zeros(3, 10, 10));
      IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
          () -> new IntegratedGradients(s.context, params(small.toString())));
      assertTrue(shape.getMessage().equals("baseline: " + small + " has shape [3, 10, 10]; expected [3, 224, 224] or"
          + " (N, 3, 224, 224)"), shape.getMessage());
      IllegalArgumentException steps = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("integrated-gradients", Map.of("steps", 0), s.context, "steps[1].params"));
      assertTrue(steps.getMessage().contains("steps[1].params.steps: 0 is out of range"), steps.getMessage());
    }
  }

  private static IntegratedGradientsProvider.Parameters params(String baseline) {
    return new IntegratedGradientsProvider.Parameters(baseline, 5.0, 4,
        PathRule.GAUSSLEGENDRE, 8);
  }
}

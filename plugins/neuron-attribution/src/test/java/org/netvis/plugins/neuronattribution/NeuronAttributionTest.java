package org.netvis.plugins.neuronattribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;
import org.netvis.engine.testing.Compare;

/**
 * The neuron methods on SqueezeNet 1.1 against the PyTorch reference (the unit read with a forward
 * hook), at unit (51, 13, 13) of a Fire module's output; the delta, the labels' part, batching and
 * errors.
 */
class NeuronAttributionTest {
  static final String LAYER = "/features/features.7/Concat_output_0";
  static final List<Integer> UNIT = List.of(51, 13, 13);
  /**
   * Conductance's unit: the score reads (51, 13, 13) of features.7 through a max pool whose window it
   * never wins, so its conductance is 0; features.6 feeds features.7's convolutions.
   */
  static final String CONDUCTANCE_LAYER = "/features/features.6/Concat_output_0";
  @TempDir static Path dir;

  @Test
  void matchesTheReferenceAndItsDeltas() throws Exception {
    AttributionReference.compute(dir, "neuron-gradient", "neuron-guided-backprop", "neuron-integrated-gradients",
        "neuron-deeplift", "neuron-deeplift-shap", "neuron-conductance");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      for (String method : List.of("neuron-gradient", "neuron-guided-backprop", "neuron-integrated-gradients",
          "neuron-deeplift", "neuron-deeplift-shap")) {
        Map<String, Object> params = switch (method) {
          case "neuron-integrated-gradients" -> Map.of("layer", LAYER, "neuron", UNIT, "steps", 16);
          case "neuron-deeplift-shap" -> Map.of("layer", LAYER, "neuron", UNIT, "baselines", List.of("zeros", "black"));
          default -> Map.of("layer", LAYER, "neuron", UNIT);
        };
        Attribution m = s.context.attributions().create(method, params, s.context, "params");
        Tensor a = m.attribute(x, labels);
        AttributionReference.assertMatches(method, a, dir, method);
        assertFalse(s.context.attributions().find(method).orElseThrow().explainsTargets(), method);
        // The unit is the target: other labels change nothing.
        long[] others = new long[labels.length];
        Arrays.fill(others, 999);
        Compare.assertSameUpToRounding(a.data(), m.attribute(x, others).data());
        if (m instanceof ConvergenceDelta c) {
          double[] delta = c.convergenceDelta(a, x, labels);
          double[] reference = AttributionReference.read(dir, method + "_delta_f64").asDoubles();
          for (int i = 0; i < delta.length; i++) {
            assertEquals(reference[i], delta[i], 1e-3 * Math.max(1, Math.abs(reference[i])), method + ", image " + i);
          }
          System.out.printf("%s convergence delta %s (float64 reference %s)%n", method,
              AttributionReference.format(delta), AttributionReference.format(reference));
        }
      }
      // Conductance attributes the target's score through the unit: the labels matter.
      Attribution conductance = s.context.attributions().create("neuron-conductance",
          Map.of("layer", CONDUCTANCE_LAYER, "neuron", UNIT, "steps", 16), s.context, "params");
      Tensor a = conductance.attribute(x, labels);
      AttributionReference.assertMatches("neuron-conductance", a, dir, "neuron-conductance");
      assertTrue(s.context.attributions().find("neuron-conductance").orElseThrow().explainsTargets());
      long[] others = new long[labels.length];
      Arrays.fill(others, 999);
      double moved = Compare.median(Compare.relativeL2PerItem(conductance.attribute(x, others).data(),
          Compare.asDoubles(a), labels.length));
      System.out.printf("neuron-conductance: median relative L2 change with every target set to 999: %.3f%n", moved);
      assertTrue(moved > 0.1, "the target matters: " + moved);
    }
  }

  /** GradientSHAP of the unit on netvis' own draws, which the reference reads; its delta; the labels' part. */
  @Test
  void gradientShapMatchesTheReferenceOnItsOwnDraws() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 5)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Attribution m = s.context.attributions().create("neuron-gradient-shap", Map.of("layer", LAYER, "neuron", UNIT,
          "baselines", List.of("zeros", "uniform"), "n_samples", 4, "stdevs", 0.1, "internal_batch_size", 6),
          s.context, "params");
      AttributionReference.writeDraws(dir, "neuron-gradient-shap", ((NeuronGradientShap) m).draws().of(x), x.shape());
      AttributionReference.compute(dir, "neuron-gradient-shap");
      Tensor a = m.attribute(x, labels);
      AttributionReference.assertMatches("neuron-gradient-shap", a, dir, "neuron-gradient-shap");
      double[] delta = ((ConvergenceDelta) m).convergenceDelta(a, x, labels);
      double[] reference = AttributionReference.read(dir, "neuron-gradient-shap_delta_f64").asDoubles();
      for (int i = 0; i < delta.length; i++) {
        assertEquals(reference[i], delta[i], 1e-3 * Math.max(1, Math.abs(reference[i])), "image " + i);
      }
      System.out.printf("neuron-gradient-shap convergence delta %s (float64 reference %s)%n",
          AttributionReference.format(delta), AttributionReference.format(reference));
      assertFalse(s.context.attributions().find("neuron-gradient-shap").orElseThrow().explainsTargets());
      long[] others = new long[labels.length];
      Arrays.fill(others, 999);
      Compare.assertSameUpToRounding(a.data(), m.attribute(x, others).data());
    }
  }

  @Test
  void chunksDoNotChangeTheAttributions() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs().slice(0, 3);
      long[] labels = Arrays.copyOf(AttributionReference.labels(), 3);
      Tensor whole = s.context.attributions().create("neuron-integrated-gradients",
          Map.of("layer", LAYER, "neuron", UNIT, "steps", 4, "internal_batch_size", 12), s.context, "p")
          .attribute(x, labels);
      Tensor chunked = s.context.attributions().create("neuron-integrated-gradients",
          Map.of("layer", LAYER, "neuron", UNIT, "steps", 4, "internal_batch_size", 5), s.context, "p")
          .attribute(x, labels);
      Compare.assertSameUpToRounding(whole.data(), chunked.data());
      // 3 images x 5 draws in calls of 15 and of 4: chunks that end inside an image's draws.
      Map<String, Object> shap = Map.of("layer", LAYER, "neuron", UNIT, "baselines", List.of("black", "uniform"),
          "n_samples", 5, "stdevs", 0.2);
      Compare.assertSameUpToRounding(gradientShap(s, shap, 15).attribute(x, labels).data(),
          gradientShap(s, shap, 4).attribute(x, labels).data());
    }
  }

  private static Attribution gradientShap(AttributionReference.Setup s, Map<String, Object> params, int perCall) {
    Map<String, Object> all = new java.util.HashMap<>(params);
    all.put("internal_batch_size", perCall);
    return s.context.attributions().create("neuron-gradient-shap", all, s.context, "p");
  }

  @Test
  void badUnitsAreNamed() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("neuron-gradient", Map.of("neuron", UNIT), s.context, "params"));
      assertEquals("layer: name the tensor that holds the unit, from `netvis layers squeezenet1_1`", none.getMessage());
      IllegalArgumentException rank = assertThrows(IllegalArgumentException.class, () -> s.context.attributions()
          .create("neuron-gradient", Map.of("layer", LAYER, "neuron", List.of(51)), s.context, "params"));
      assertEquals("neuron: [51] does not index one image's part of '" + LAYER + "', of shape [256, 27, 27];"
          + " expected 3 indices", rank.getMessage());
      IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> s.context.attributions()
          .create("neuron-integrated-gradients", Map.of("layer", LAYER, "neuron", List.of(51, 27, 0)), s.context,
              "params"));
      assertEquals("neuron: index 27 on axis 1 is outside [0, 27) of '" + LAYER + "', of shape [256, 27, 27]",
          range.getMessage());
      IllegalArgumentException layer = assertThrows(IllegalArgumentException.class, () -> s.context.attributions()
          .create("neuron-gradient", Map.of("layer", "fire7", "neuron", UNIT), s.context, "params"));
      assertTrue(layer.getMessage().startsWith("layer: 'fire7' is not a tensor of squeezenet1_1; nearest names:"),
          layer.getMessage());
    }
  }
}

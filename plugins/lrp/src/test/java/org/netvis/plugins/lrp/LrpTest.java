package org.netvis.plugins.lrp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;
import org.netvis.engine.testing.Compare;

/**
 * LRP on SqueezeNet 1.1 against the PyTorch reference (each layer's rule written out from its
 * definition), in three settings: epsilon 0.25 everywhere, a composite of gamma, alpha1_beta0 and
 * epsilon chosen by node name, and one with z^B at the first layer; the deltas, batching and errors.
 */
class LrpTest {
  @TempDir static Path dir;

  /** The reference's lrp_rule_composite, as patterns over the ONNX node names. */
  private static Map<String, Object> composite() {
    Map<String, Object> layers = new LinkedHashMap<>();
    layers.put("/features\\.[0-4]/", "gamma 0.25");
    layers.put("/features\\.([5-9]|1[0-2])/", "alpha1_beta0");
    return Map.of("rule", "epsilon 0.1", "layers", layers, "zero_bias", true);
  }

  /** The reference's lrp_rule_zb: what configs/attributions.yaml runs. */
  private static Map<String, Object> zbComposite() {
    Map<String, Object> layers = new LinkedHashMap<>();
    layers.put("/features\\.0/", "zb");
    layers.put("/features\\.[1-4]/", "gamma 0.25");
    layers.put("classifier", "epsilon 1e-9");
    return Map.of("rule", "epsilon 0.25", "layers", layers, "zero_bias", true);
  }

  @Test
  void matchesTheReferenceInEachSetting() throws Exception {
    AttributionReference.compute(dir, "lrp-epsilon", "lrp-composite", "lrp-zb");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Map<String, Map<String, Object>> settings = new LinkedHashMap<>();
      settings.put("lrp-epsilon", Map.of("rule", "epsilon 0.25"));
      settings.put("lrp-composite", composite());
      settings.put("lrp-zb", zbComposite());
      for (Map.Entry<String, Map<String, Object>> setting : settings.entrySet()) {
        Attribution method = s.context.attributions().create("lrp", setting.getValue(), s.context, "params");
        Tensor a = method.attribute(x, labels);
        if (setting.getKey().equals("lrp-epsilon")) {
          AttributionReference.assertMatches(setting.getKey(), a, dir, setting.getKey());
        } else {
          // Gamma and alpha1_beta0 without biases divide by outputs of changed weights near zero: float32
          // PyTorch is itself 1e-3 to 2e-1 from float64 here.
          AttributionReference.assertMatchesAsFloat32Does(setting.getKey(), a, dir, setting.getKey());
        }
        double[] delta = ((ConvergenceDelta) method).convergenceDelta(a, x, labels);
        double[] reference = AttributionReference.read(dir, setting.getKey() + "_delta_f64").asDoubles();
        double[] float32 = AttributionReference.read(dir, setting.getKey() + "_delta_f32").asDoubles();
        Tensor logits = s.engine.scores(x);
        for (int i = 0; i < delta.length; i++) {
          double score = Math.abs(logits.data()[i * 1000 + (int) labels[i]]);
          // Relevance lost to biases and epsilon, as the float64 reference loses it (to within 2e-3 of the
          // score, or twice float32 PyTorch's own distance where rounding moves it more).
          double tolerance = Math.max(2e-3 * Math.max(1, score), 2 * Math.abs(float32[i] - reference[i]));
          assertEquals(reference[i], delta[i], tolerance, setting.getKey() + ", image " + i);
        }
        System.out.printf("%s convergence delta %s (float64 reference %s)%n", setting.getKey(),
            AttributionReference.format(delta), AttributionReference.format(reference));
      }
    }
  }

  @Test
  void chunksOfImagesDoNotChangeTheRelevance() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs().slice(0, 5);
      long[] labels = Arrays.copyOf(AttributionReference.labels(), 5);
      Tensor whole = s.context.attributions().create("lrp", Map.of("internal_batch_size", 5), s.context, "params")
          .attribute(x, labels);
      Tensor chunked = s.context.attributions().create("lrp", Map.of("internal_batch_size", 2), s.context, "params")
          .attribute(x, labels);
      Compare.assertSameUpToRounding(whole.data(), chunked.data());
    }
  }

  @Test
  void badRulesAndPatternsAreNamed() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      IllegalArgumentException rule = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("lrp", Map.of("rule", "epsilon -1"), s.context, "params"));
      assertEquals("rule: epsilon -1.0 is not a finite number >= 0", rule.getMessage());
      IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("lrp", Map.of("layers", Map.of("classifier", "z_plus")), s.context,
              "params"));
      assertEquals("layers.classifier: 'z_plus' is not a rule (expected epsilon [E], gamma [G], alpha1_beta0,"
          + " identity or zb)", text.getMessage());
      IllegalArgumentException unused = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("lrp", Map.of("layers", Map.of("features\\.13/", "gamma")), s.context,
              "params"));
      assertTrue(unused.getMessage().startsWith("layers: LRP rule for layers 'features\\.13/' matches no layer of the"
          + " model; its layers on the relevance path are [/features/features.0/Conv, /features/features.2/MaxPool,"),
          unused.getMessage());
      IllegalArgumentException regex = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("lrp", Map.of("layers", Map.of("features[", "gamma")), s.context,
              "params"));
      assertTrue(regex.getMessage().startsWith("layers.features[: 'features[' is not a regular expression"),
          regex.getMessage());
    }
  }
}

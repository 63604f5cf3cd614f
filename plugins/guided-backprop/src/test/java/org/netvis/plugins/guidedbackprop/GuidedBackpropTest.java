package org.netvis.plugins.guidedbackprop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;

/** Guided backpropagation against the PyTorch reference (ReLU modules replaced); the deconvnet rule. */
class GuidedBackpropTest {
  @TempDir Path dir;

  @Test
  void matchesTheReference() throws Exception {
    AttributionReference.compute(dir, "guided-backprop");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor a = s.context.attributions().create("guided-backprop", Map.of(), s.context, "params")
          .attribute(AttributionReference.inputs(), AttributionReference.labels());
      AttributionReference.assertMatches("guided-backprop", a, dir, "guided-backprop");
      Tensor d = s.context.attributions().create("deconvnet", Map.of(), s.context, "params")
          .attribute(AttributionReference.inputs().slice(0, 2), java.util.Arrays.copyOf(AttributionReference.labels(), 2));
      double differs = 0;
      for (int k = 0; k < d.size(); k++) {
        differs += Math.abs(d.data()[k] - a.data()[k]);
      }
      assertTrue(differs > 0, "the deconvnet ignores the forward ReLU mask, so it differs from guided backprop");
    }
  }
}

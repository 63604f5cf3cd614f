package org.netvis.plugins.guidedgradcam;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;

/** Guided Grad-CAM, built from grad-cam and guided-backprop found by id, against the PyTorch reference. */
class GuidedGradCamTest {
  @TempDir Path dir;

  @Test
  void matchesTheReference() throws Exception {
    AttributionReference.compute(dir, "guided-grad-cam");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor a = s.context.attributions().create("guided-grad-cam",
          Map.of("layer", "/features/features.12/Concat_output_0"), s.context, "params")
          .attribute(AttributionReference.inputs(), AttributionReference.labels());
      AttributionReference.assertMatches("guided-grad-cam", a, dir, "guided-grad-cam");
    }
  }
}

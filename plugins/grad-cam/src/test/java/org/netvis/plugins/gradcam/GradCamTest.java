package org.netvis.plugins.gradcam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.attribution.AttributionLayer;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;

/** Grad-CAM at the layer's resolution and upsampled against the PyTorch reference; layer errors. */
class GradCamTest {
  static final String LAYER = "/features/features.12/Concat_output_0";
  @TempDir Path dir;

  @Test
  void matchesTheReferenceAtTheLayerAndUpsampled() throws Exception {
    AttributionReference.compute(dir, "grad-cam");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Attribution layer = s.context.attributions().create("grad-cam", Map.of("layer", LAYER, "interpolation", "none"),
          s.context, "params");
      AttributionReference.assertMatches("grad-cam at 13x13", layer.attribute(x, labels), dir, "grad-cam_layer");
      Attribution up = s.context.attributions().create("grad-cam", Map.of("layer", LAYER), s.context, "params");
      AttributionReference.assertMatches("grad-cam upsampled", up.attribute(x, labels), dir, "grad-cam");
      Tensor plus = s.context.attributions().create("grad-cam-plus-plus", Map.of("layer", LAYER), s.context, "params")
          .attribute(x.slice(0, 2), java.util.Arrays.copyOf(labels, 2));
      assertArrayEquals(new long[] {2, 1, 224, 224}, plus.shape());
      for (float v : plus.data()) {
        assertTrue(v >= 0 && Float.isFinite(v));
      }
    }
  }

  @Test
  void theDefaultLayerAndBadLayersAreNamed() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      assertEquals("/classifier/classifier.2/Relu_output_0", AttributionLayer.resolve(s.engine, "", 0).name());
      // PyTorch modules by their qualified names, as Captum takes model.features[12].
      assertEquals("/features/features.12/Concat_output_0", AttributionLayer.resolve(s.engine, "features.12", 0).name());
      assertEquals("/classifier/classifier.2/Relu_output_0",
          AttributionLayer.resolve(s.engine, "classifier.2", 0).name());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.context.attributions()
          .create("grad-cam", Map.of("layer", "conv9"), s.context, "params"));
      assertTrue(e.getMessage().contains("layer: 'conv9' is not a tensor of squeezenet1_1; nearest names: ")
          && e.getMessage().contains("netvis layers"), e.getMessage());
    }
  }
}

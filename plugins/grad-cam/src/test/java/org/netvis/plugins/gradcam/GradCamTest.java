package org.netvis.plugins.gradcam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.attribution.AttributionLayer;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;
import org.netvis.engine.testing.Compare;

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

  private static Tensor gradCam(AttributionReference.Setup s, Map<String, Object> params, Tensor x, long[] targets) {
    return s.context.attributions().create("grad-cam", params, s.context, "params").attribute(x, targets);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> recordedLayer(AttributionReference.Setup s) {
    return (Map<String, Object>) s.context.settled().get("layer");
  }

  /**
   * torchvision's Swin keeps its stages channels-last: its final `norm` is (N, 7, 7, C), and `permute`
   * is that tensor transposed to (N, C, 7, 7). Grad-CAM at either is the same map; read as (N, C, H, W),
   * `norm` was a 7-channel map 7 wide and C high.
   */
  @Test
  void aChannelsLastLayerIsReadWithItsChannelsLast() throws Exception {
    try (AttributionReference.Setup s = AttributionReference.Setup.fixture("swin_tiny_mini-random", dir)) {
      Tensor x = AttributionReference.gaussian(2, 5);
      long[] targets = {7, 640};
      Tensor atNorm = gradCam(s, Map.of("layer", "norm", "interpolation", "none"), x, targets);
      Map<String, Object> norm = recordedLayer(s);
      assertEquals("NHWC", norm.get("layout"));
      assertEquals("named 'norm'", norm.get("chosen"));
      assertEquals(List.of(-1L, 7L, 7L, 192L), norm.get("shape"));
      Tensor atPermute = gradCam(s, Map.of("layer", "permute", "interpolation", "none"), x, targets);
      assertArrayEquals(new long[] {2, 1, 7, 7}, atNorm.shape());
      Compare.assertSameUpToRounding(atPermute.data(), atNorm.data());
    }
  }

  /**
   * pytorch-grad-cam's target layer for torchvision's ConvNeXt is model.features[-1]. After it the
   * classifier's LayerNorm2d normalizes a channels-last (N, 1, 1, C) tensor, which has no spatial size
   * but looked like a 1 x C map with one channel; the default took that.
   */
  @Test
  void theDefaultLayerOfAConvNextIsItsLastStage() throws Exception {
    try (AttributionReference.Setup s = AttributionReference.Setup.fixture("convnext_tiny_mini-random", dir)) {
      String lastStage = s.engine.layerLookup().find("layer", "features.7").name();
      gradCam(s, Map.of(), AttributionReference.gaussian(1, 6), new long[] {3});
      Map<String, Object> layer = recordedLayer(s);
      assertEquals(lastStage, layer.get("tensor"));
      assertEquals("default", layer.get("chosen"));
      assertEquals("NCHW", layer.get("layout"));
    }
  }

  /**
   * A ViT's only 4-D tensor is its patch embedding: the default explains that, and the record says
   * so; a block's tokens, named with their grid, are recorded as such.
   */
  @Test
  void aTransformersDefaultLayerSaysTokenTensorsFollowIt() throws Exception {
    try (AttributionReference.Setup s = AttributionReference.Setup.fixture("vit_tiny-random", dir)) {
      Tensor x = AttributionReference.gaussian(1, 7);
      gradCam(s, Map.of(), x, new long[] {3});
      Map<String, Object> patches = recordedLayer(s);
      assertEquals("/conv_proj/Conv_output_0", patches.get("tensor"));
      assertTrue(String.valueOf(patches.get("note")).startsWith("token tensors (N, T, D) follow this layer"),
          String.valueOf(patches));
      String block = "/encoder/layers/encoder_layer_2/ln_1/LayerNormalization_output_0";
      assertArrayEquals(new long[] {1, 1, 7, 7},
          gradCam(s, Map.of("layer", block, "grid", 7, "interpolation", "none"), x, new long[] {3}).shape());
      Map<String, Object> tokens = recordedLayer(s);
      assertEquals(Map.of("tensor", block, "shape", List.of(-1L, 50L, 96L), "layout", "tokens", "grid", 7,
          "chosen", "named '" + block + "'"), tokens);
    }
  }
}

package org.netvis.plugins.layerattribution;

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
import org.netvis.engine.attribution.Interpolation;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;
import org.netvis.engine.testing.Compare;

/**
 * The layer methods on SqueezeNet 1.1 against the PyTorch reference (each written from its
 * definition, layer integrated gradients with a forward hook that replaces the layer's output), at a
 * Fire module's output; their convergence deltas; the upsampled form; batching; a ViT's token layer;
 * errors.
 */
class LayerAttributionTest {
  static final String LAYER = "/features/features.7/Concat_output_0";
  static final List<String> METHODS = List.of("layer-activation", "layer-gradient-x-activation", "internal-influence",
      "layer-conductance", "layer-integrated-gradients", "layer-deeplift", "layer-deeplift-shap", "layer-lrp");
  @TempDir static Path dir;

  private static Map<String, Object> params(String method, Object... more) {
    java.util.Map<String, Object> p = new java.util.LinkedHashMap<>();
    p.put("layer", LAYER);
    if (!List.of("layer-activation", "layer-gradient-x-activation", "layer-deeplift", "layer-deeplift-shap",
        "layer-lrp").contains(method)) {
      p.put("steps", 16);
    }
    if (method.equals("layer-deeplift-shap")) {
      p.put("baselines", List.of("zeros", "black"));
    }
    if (method.equals("layer-lrp")) {
      p.put("rule", "epsilon 0.25");
    }
    for (int k = 0; k < more.length; k += 2) {
      p.put((String) more[k], more[k + 1]);
    }
    return p;
  }

  @Test
  void matchesTheReferenceAndItsDeltas() throws Exception {
    AttributionReference.compute(dir, METHODS.toArray(String[]::new));
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      for (String method : METHODS) {
        Attribution m = s.context.attributions().create(method, params(method), s.context, "params");
        long start = System.nanoTime();
        Tensor a = m.attribute(x, labels);
        System.out.printf("%s: %.1f s for 8 images%n", method, (System.nanoTime() - start) / 1e9);
        AttributionReference.assertMatches(method, a, dir, method);
        if (m instanceof ConvergenceDelta c) {
          assertDeltasMatch(method, c.convergenceDelta(a, x, labels), s, x, labels);
        }
      }
      assertEquals(List.of("layer-activation", "layer-gradient-x-activation", "internal-influence"), METHODS.stream()
          .filter(id -> !(s.context.attributions().create(id, params(id), s.context, "p") instanceof ConvergenceDelta))
          .toList(), "the methods without a completeness property report no delta");
      assertEquals(List.of("layer-activation"), METHODS.stream()
          .filter(id -> !s.context.attributions().find(id).orElseThrow().explainsTargets()).toList());
      // Layer DeepLIFT runs each image beside its baseline: pairs in calls of one or of three change nothing.
      Tensor three = x.slice(0, 3);
      long[] first = Arrays.copyOf(labels, 3);
      Compare.assertSameUpToRounding(
          s.context.attributions().create("layer-deeplift", params("layer-deeplift", "internal_batch_size", 3),
              s.context, "p").attribute(three, first).data(),
          s.context.attributions().create("layer-deeplift", params("layer-deeplift", "internal_batch_size", 1),
              s.context, "p").attribute(three, first).data());
    }
  }

  /**
   * Deltas equal to the float64 reference's to 1e-3 of the image's score: a delta is the difference of
   * a sum over the layer and a score change, both near the score's size, so its rounding scales with
   * the score, not with the delta (a conductance delta of -1.85 on a score of 30 moved 3e-3 between
   * CPUs).
   */
  private static void assertDeltasMatch(String method, double[] delta, AttributionReference.Setup s, Tensor x,
      long[] labels) throws Exception {
    double[] reference = AttributionReference.read(dir, method + "_delta_f64").asDoubles();
    Tensor logits = s.engine.scores(x);
    int classes = (int) logits.dim(1);
    for (int i = 0; i < delta.length; i++) {
      double scale = Math.max(1, Math.max(Math.abs(reference[i]), Math.abs(logits.data()[i * classes + (int) labels[i]])));
      assertEquals(reference[i], delta[i], 1e-3 * scale, method + ", image " + i);
    }
    System.out.printf("%s convergence delta %s (float64 reference %s)%n", method, AttributionReference.format(delta),
        AttributionReference.format(reference));
  }

  /** Layer GradientSHAP on netvis' own draws, which the reference reads, and its delta. */
  @Test
  void gradientShapMatchesTheReferenceOnItsOwnDraws() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 5)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Attribution m = s.context.attributions().create("layer-gradient-shap", Map.of("layer", LAYER,
          "baselines", List.of("zeros", "uniform"), "n_samples", 4, "stdevs", 0.1, "internal_batch_size", 6),
          s.context, "params");
      AttributionReference.writeDraws(dir, "layer-gradient-shap", ((LayerGradientShap) m).draws().of(x), x.shape());
      AttributionReference.compute(dir, "layer-gradient-shap");
      long start = System.nanoTime();
      Tensor a = m.attribute(x, labels);
      System.out.printf("layer-gradient-shap: %.1f s for 8 images x 4 draws%n", (System.nanoTime() - start) / 1e9);
      assertArrayEquals(new long[] {8, 256, 27, 27}, a.shape());
      AttributionReference.assertMatches("layer-gradient-shap", a, dir, "layer-gradient-shap");
      assertDeltasMatch("layer-gradient-shap", ((ConvergenceDelta) m).convergenceDelta(a, x, labels), s, x, labels);
      // 3 images x 5 draws in calls of 15 and of 4: chunks that end inside an image's draws.
      Map<String, Object> shap = new java.util.HashMap<>(Map.of("layer", LAYER, "baselines", List.of("black", "uniform"),
          "n_samples", 5, "stdevs", 0.2, "internal_batch_size", 15));
      Tensor three = x.slice(0, 3);
      long[] first = Arrays.copyOf(labels, 3);
      Tensor whole = s.context.attributions().create("layer-gradient-shap", shap, s.context, "p").attribute(three, first);
      shap.put("internal_batch_size", 4);
      Compare.assertSameUpToRounding(whole.data(),
          s.context.attributions().create("layer-gradient-shap", shap, s.context, "p").attribute(three, first).data());
    }
  }

  /**
   * Layer feature ablation per channel against the reference (the rest of SqueezeNet's chain on the
   * layer's output with each channel zeroed); the same in any chunking of the ablated copies.
   */
  @Test
  void featureAblationMatchesTheReference() throws Exception {
    AttributionReference.compute(dir, "layer-feature-ablation");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Attribution m = s.context.attributions().create("layer-feature-ablation", Map.of("layer", LAYER), s.context,
          "params");
      long start = System.nanoTime();
      Tensor a = m.attribute(x, labels);
      System.out.printf("layer-feature-ablation: %.1f s for 8 images x 257 copies of the layer%n",
          (System.nanoTime() - start) / 1e9);
      assertArrayEquals(new long[] {8, 256, 27, 27}, a.shape());
      AttributionReference.assertMatches("layer-feature-ablation", a, dir, "layer-feature-ablation");
      Tensor two = x.slice(0, 2);
      long[] first = Arrays.copyOf(labels, 2);
      Compare.assertSameUpToRounding(Arrays.copyOf(a.data(), (int) two.dim(0) * 256 * 729),
          s.context.attributions().create("layer-feature-ablation", Map.of("layer", LAYER, "perturbations_per_eval", 7),
              s.context, "p").attribute(two, first).data());
    }
  }

  /**
   * At the classifier's pooled scores, (N, 1000, 1, 1), the logits are the layer itself: ablating
   * channel c takes away the target's score where c is the target and nothing elsewhere; a unit is a
   * channel there, and the one position is the whole layer, whose ablation takes the whole score.
   */
  @Test
  void featureAblationGroupingsAtThePooledScores() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      String pooled = s.engine.layers().stream().filter(l -> l.opType().equals("GlobalAveragePool")).findFirst()
          .orElseThrow().name();
      Tensor x = AttributionReference.inputs().slice(0, 2);
      long[] targets = {3, 999};
      Tensor scores = s.engine.scores(x);
      Map<String, Tensor> by = new java.util.HashMap<>();
      for (String grouping : List.of("channels", "units", "positions")) {
        by.put(grouping, s.context.attributions().create("layer-feature-ablation", Map.of("layer", pooled,
            "features", grouping, "baseline", 0.0), s.context, "p").attribute(x, targets));
      }
      for (int i = 0; i < 2; i++) {
        double score = scores.data()[i * 1000 + (int) targets[i]];
        for (int c = 0; c < 1000; c++) {
          double want = c == targets[i] ? score : 0;
          assertEquals(want, by.get("channels").data()[i * 1000 + c], 1e-4 * Math.max(1, Math.abs(score)),
              "image " + i + ", channel " + c);
          assertEquals(score, by.get("positions").data()[i * 1000 + c], 1e-4 * Math.max(1, Math.abs(score)));
        }
      }
      assertArrayEquals(by.get("channels").data(), by.get("units").data());
    }
  }

  @Test
  void theUpsampledFormIsTheChannelSumInterpolatedAndKeepsTheLayersDelta() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs().slice(0, 2);
      long[] labels = Arrays.copyOf(AttributionReference.labels(), 2);
      Attribution raw = s.context.attributions().create("layer-integrated-gradients",
          params("layer-integrated-gradients", "steps", 4), s.context, "p");
      Attribution up = s.context.attributions().create("layer-integrated-gradients",
          params("layer-integrated-gradients", "steps", 4, "interpolation", "bilinear"), s.context, "p");
      Tensor layer = raw.attribute(x, labels);
      Tensor map = up.attribute(x, labels);
      assertArrayEquals(new long[] {2, 256, 27, 27}, layer.shape());
      assertArrayEquals(new long[] {2, 1, 224, 224}, map.shape());
      float[] sums = new float[2 * 27 * 27];
      for (int i = 0; i < 2; i++) {
        for (int c = 0; c < 256; c++) {
          for (int k = 0; k < 27 * 27; k++) {
            sums[i * 729 + k] += layer.data()[(i * 256 + c) * 729 + k];
          }
        }
      }
      Tensor expected = Interpolation.BILINEAR.apply(new Tensor(new long[] {2, 1, 27, 27}, sums), 224, 224);
      Compare.assertSameUpToRounding(expected.data(), map.data());
      double[] rawDelta = ((ConvergenceDelta) raw).convergenceDelta(layer, x, labels);
      double[] upDelta = ((ConvergenceDelta) up).convergenceDelta(map, x, labels);
      assertArrayEquals(rawDelta, upDelta, 1e-4, "the delta of the layer's own sums, not the upsampled map's");
    }
  }

  @Test
  void chunksOfPathPointsDoNotChangeTheAttributions() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs().slice(0, 3);
      long[] labels = Arrays.copyOf(AttributionReference.labels(), 3);
      for (String method : List.of("layer-conductance", "layer-integrated-gradients")) {
        // 3 images x 5 points in calls of 15 and of 4: chunks that end inside an image's path.
        Tensor whole = s.context.attributions().create(method, params(method, "steps", 4, "internal_batch_size", 15),
            s.context, "p").attribute(x, labels);
        Tensor chunked = s.context.attributions().create(method, params(method, "steps", 4, "internal_batch_size", 4),
            s.context, "p").attribute(x, labels);
        Compare.assertSameUpToRounding(whole.data(), chunked.data());
      }
    }
  }

  /** A transformer's residual stream: every later block reads only this tensor, so completeness holds. */
  @Test
  void aVitBlocksTokensAreAttributedAsAPatchGrid() throws Exception {
    try (AttributionReference.Setup s = AttributionReference.Setup.fixture("vit_tiny-random", dir.resolve("vit"))) {
      Engine engine = s.engine;
      AttributionContext ctx = s.context;
      Tensor x = AttributionReference.gaussian(2, 3);
      long[] targets = {3, 998};
      String block = "/encoder/layers/encoder_layer_1/Add_1_output_0";
      Attribution lig = ctx.attributions().create("layer-integrated-gradients",
          Map.of("layer", block, "grid", 7, "steps", 32), ctx, "p");
      Tensor a = lig.attribute(x, targets);
      assertArrayEquals(new long[] {2, 96, 7, 7}, a.shape());
      double[] delta = ((ConvergenceDelta) lig).convergenceDelta(a, x, targets);
      double[] end = org.netvis.engine.attribution.TargetGradients.scores(engine, x, targets, 2);
      double[] start = org.netvis.engine.attribution.TargetGradients.scores(engine, Tensor.zeros(x.shape()), targets, 2);
      for (int i = 0; i < 2; i++) {
        System.out.printf("ViT block 1, image %d: F(x) - F(0) = %.4f, delta %.2e%n", i, end[i] - start[i], delta[i]);
        assertTrue(Math.abs(delta[i]) < 1e-2 * Math.abs(end[i] - start[i]) + 1e-4, "image " + i + ": " + delta[i]);
      }
      IllegalArgumentException noGrid = assertThrows(IllegalArgumentException.class,
          () -> ctx.attributions().create("layer-conductance", Map.of("layer", block), ctx, "p"));
      assertEquals("layer: '" + block + "' is a token tensor [-1, 50, 96]; give grid, the side of its square patch grid",
          noGrid.getMessage());
    }
  }

  /**
   * torchvision's Swin keeps its stages channels-last: `norm` is (N, 7, 7, C) and `permute` the same
   * values as (N, C, 7, 7). A method at `norm` returns what it returns at `permute`, its channels
   * first; feature ablation groups `norm`'s units by their last axis, the channels.
   */
  @Test
  void aChannelsLastLayerIsAttributedAsItsChannelsFirstTranspose() throws Exception {
    try (AttributionReference.Setup s = AttributionReference.Setup.fixture("swin_tiny_mini-random",
        dir.resolve("swin"))) {
      Engine engine = s.engine;
      AttributionContext ctx = s.context;
      Tensor x = AttributionReference.gaussian(2, 4);
      long[] targets = {11, 512};
      // Ablation credits are differences of scores that the two graphs round apart: bound them by the scores.
      double[] scores = org.netvis.engine.attribution.TargetGradients.scores(engine, x, targets, 2);
      float rounding = (float) (1e-5 * Math.max(Math.abs(scores[0]), Math.abs(scores[1])));
      for (Map<String, Object> params : List.of(Map.<String, Object>of("features", "channels"),
          Map.<String, Object>of("features", "positions"))) {
        Tensor atNorm = ctx.attributions().create("layer-feature-ablation", with(params, "layer", "norm"), ctx, "p")
            .attribute(x, targets);
        Tensor atPermute = ctx.attributions().create("layer-feature-ablation", with(params, "layer", "permute"), ctx,
            "p").attribute(x, targets);
        assertArrayEquals(new long[] {2, 192, 7, 7}, atNorm.shape());
        assertArrayEquals(atPermute.data(), atNorm.data(), rounding);
      }
      Tensor atNorm = ctx.attributions().create("layer-gradient-x-activation", Map.of("layer", "norm"), ctx, "p")
          .attribute(x, targets);
      Tensor atPermute = ctx.attributions().create("layer-gradient-x-activation", Map.of("layer", "permute"), ctx,
          "p").attribute(x, targets);
      assertArrayEquals(new long[] {2, 192, 7, 7}, atNorm.shape());
      Compare.assertSameUpToRounding(atPermute.data(), atNorm.data());
    }
  }

  private static Map<String, Object> with(Map<String, Object> params, String key, Object value) {
    Map<String, Object> out = new java.util.HashMap<>(params);
    out.put(key, value);
    return out;
  }

  @Test
  void badLayersAndBaselinesAreNamed() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("layer-conductance", Map.of("layer", "fire7"), s.context, "params"));
      assertTrue(layer.getMessage().startsWith("layer: 'fire7' is not a tensor of squeezenet1_1; nearest names: "),
          layer.getMessage());
      IllegalArgumentException baseline = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("internal-influence", Map.of("baseline", "grey"), s.context, "params"));
      assertEquals("baseline: 'grey' is not zeros, black, blur, uniform or an .npy path", baseline.getMessage());
      IllegalArgumentException method = assertThrows(IllegalArgumentException.class,
          () -> s.context.attributions().create("layer-integrated-gradients", Map.of("method", "simpson"), s.context,
              "params"));
      assertTrue(method.getMessage().contains("simpson"), method.getMessage());
    }
  }
}

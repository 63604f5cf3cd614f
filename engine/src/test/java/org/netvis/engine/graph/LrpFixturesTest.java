package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.runtime.CudaKernels;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.SharedData;

/**
 * LRP on SqueezeNet 1.1 and the shared fixture models: epsilon 0 (a zero output passing no relevance)
 * gives the input times the gradient (Ancona et al. 2018), residual Adds, concatenations, channel
 * shuffles, batch norms and pads included; the operators LRP has no rule for are refused by node;
 * every LRP graph has CUDA kernels for all its nodes.
 */
class LrpFixturesTest {
  // LRP-0: Captum's 1e-9 is not near 0 for these random-weight networks, whose deep activations are small.
  private static final VjpSpec LRP = VjpSpec.DEFAULT.withLrp(LrpRules.of(LrpRules.Rule.epsilon(0)));

  @TempDir Path dir;

  /**
   * Per fixture: "identity", or the operator its refusal names. ReLU6 passes relevance where its
   * gradient is zero, above 6, which the MobileNets' activations do not reach on these inputs.
   */
  private static final Map<String, String> EXPECTED = Map.of(
      "squeezenet1_1", "identity",
      "resnet18-random", "identity",
      "densenet_mini-random", "identity",
      "shufflenet_v2_x1_0-random", "identity",
      "mobilenet_v2-random", "identity",
      "nhwc_mobilenet_v2_w05-random", "identity",
      "lrn_zoo_style-random", "LRN",
      "convnext_tiny_mini-random", "LayerNormalization",
      "vit_tiny-random", "LayerNormalization",
      "swin_tiny_mini-random", "LayerNormalization");

  @Test
  void eachFixtureGivesTheInputTimesTheGradientRunsOrIsRefusedByNode() throws Exception {
    for (Map.Entry<String, String> fixture : new java.util.TreeMap<>(EXPECTED).entrySet()) {
      Path onnx = fixture.getKey().equals("squeezenet1_1") ? SharedData.squeezenet()
          : SharedData.fixture(fixture.getKey());
      ModelGraph g = ModelGraph.parse(Files.readAllBytes(onnx), onnx.toString(), null);
      long h = g.inputShape()[2] > 0 ? g.inputShape()[2] : 224;
      long w = g.inputShape()[3] > 0 ? g.inputShape()[3] : 224;
      String expected = fixture.getValue();
      if (!expected.equals("identity")) {
        GraphBuildException e = assertThrows(GraphBuildException.class,
            () -> new GradientGraphBuilder().build(g, LRP, h, w, ""), fixture.getKey());
        System.out.printf("%s: %s%n", fixture.getKey(), e.getMessage().substring(0, Math.min(160,
            e.getMessage().length())));
        assertTrue(e.getMessage().startsWith(expected + " node '"), fixture.getKey() + ": " + e.getMessage());
        continue;
      }
      assertEquals(java.util.List.of(), CudaKernels.published().fallbacks(
          new GradientGraphBuilder().build(g, LRP, h, w, "").proto()), fixture.getKey());
      try (Engine engine = GradientCheck.open(onnx, dir)) {
        Random random = new Random(6);
        int items = 4;
        Tensor x = Tensor.zeros(items, g.inputShape()[1], h, w);
        for (int k = 0; k < x.size(); k++) {
          x.data()[k] = (float) random.nextGaussian();
        }
        int classes = (int) engine.classes();
        Tensor cotangent = Tensor.zeros(items, classes);
        int[] targets = {1, classes - 1, classes / 2, 2};
        for (int i = 0; i < items; i++) {
          cotangent.data()[i * classes + targets[i]] = 1f;
        }
        String seed = engine.graph().outputName();
        String input = VjpSpec.gradientName(engine.graph().inputName());
        Map<String, Tensor> lrp = engine.vjp(x, LRP, Map.of(seed, cotangent));
        Tensor gradient = engine.vjp(x, VjpSpec.DEFAULT, Map.of(seed, cotangent)).get(input);
        double[] errors = new double[items];
        int item = x.itemSize();
        for (int i = 0; i < items; i++) {
          double score = lrp.get(seed).data()[i * classes + targets[i]];
          double diff = 0;
          double norm = 0;
          for (int k = i * item; k < (i + 1) * item; k++) {
            float relevance = lrp.get(input).data()[k];
            assertTrue(Float.isFinite(relevance), fixture.getKey() + ": value " + k + " is " + relevance);
            double product = (double) x.data()[k] * gradient.data()[k];
            diff += Math.pow(score * relevance - product, 2);
            norm += product * product;
          }
          assertTrue(norm > 0, fixture.getKey() + ": input x gradient is zero for image " + i);
          errors[i] = Math.sqrt(diff / norm);
        }
        System.out.printf("%s: LRP-0 against input x gradient, relative L2 per image %s%n", fixture.getKey(),
            java.util.Arrays.stream(errors).mapToObj(e -> String.format("%.1e", e)).toList());
        // LRP-0 divides by every pre-activation, so float32 rounding in one near zero grows by the
        // inverse of its size, and which image meets one depends on the CPU's kernels: on one machine
        // one of ResNet-18's images was at 1.6e-3 (at 8e-7 with four other seeds), the rest at 8e-7.
        // A wrong rule is wrong for every image.
        long exact = java.util.Arrays.stream(errors).filter(e -> e < 1e-5).count();
        assertTrue(exact >= items - 1, fixture.getKey() + ": " + java.util.Arrays.toString(errors));
        assertTrue(Compare.max(errors) < 1e-2, fixture.getKey() + ": " + java.util.Arrays.toString(errors));
      }
    }
  }
}

package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AsWritten;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.PythonReference;
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.SavedWeights;
import org.netvis.engine.testing.TestGraph;

/**
 * ONNX Runtime's fused com.microsoft operators (Attention, SkipLayerNormalization, the GELUs,
 * FusedConv, FusedGemm, FusedMatMul) read as their definitions: netvis' scores against ONNX Runtime's
 * own kernels running the file as written, and its input gradient against PyTorch autograd through
 * the definitions in ONNX Runtime's operator documentation
 * ({@code engine/src/test/python/fused_reference.py}), as close to float64 as PyTorch's float32 is,
 * within a factor of two.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FusedOperatorsTest {
  @TempDir static Path dir;

  /** {@code kernels}: ONNX Runtime (this version) has kernels for the file as written. */
  record Case(String id, String kind, int opset, long c, long h, long w, String params, boolean kernels,
      BiFunction<TestGraph, SavedWeights, String> body) {
    @Override
    public String toString() {
      return id + " (opset " + opset + ")";
    }
  }

  static List<Case> cases() {
    return List.of(
        new Case("fused_conv", "fused_conv", 17, 3, 6, 6, "", true, (g, w) -> {
          String c1 = g.contribOp("FusedConv", List.of("x", w.floats("w1", 0.4, 4, 3, 3, 3), w.floats("b1", 4)),
              "pads", new long[] {1, 1, 1, 1}, "activation", "Relu");
          String c2 = g.contribOp("FusedConv", List.of(c1, w.floats("w2", 0.3, 4, 4, 3, 3), w.floats("b2", 4), c1),
              "pads", new long[] {1, 1, 1, 1}, "activation", "LeakyRelu", "activation_params", new float[] {0.1f});
          String c3 = g.contribOp("FusedConv", List.of(c2, w.floats("w3", 0.3, 4, 4, 3, 3)),
              "pads", new long[] {1, 1, 1, 1}, "activation", "Tanh");
          String c4 = g.contribOp("FusedConv", List.of(c3, w.floats("w4", 0.3, 4, 4, 3, 3), w.floats("b4", 4)),
              "pads", new long[] {1, 1, 1, 1}, "activation", "HardSigmoid", "activation_params",
              new float[] {0.2f, 0.5f});
          String c5 = g.contribOp("FusedConv", List.of(c4, w.floats("w5", 0.4, 4, 4, 3, 3), w.floats("b5", 4)),
              "strides", new long[] {2, 2}, "activation", "Clip", "activation_params", new float[] {-0.5f, 0.8f});
          String c6 = g.contribOp("FusedConv", List.of(c5, w.floats("w6", 4, 4, 1, 1), w.floats("b6", 4)));
          String c7 = g.contribOp("FusedConv", List.of(c5, w.floats("w7", 4, 4, 1, 1), "", c6),
              "activation", "Sigmoid");
          return g.contribOp("FusedConv", List.of(c7, w.floats("w8", 4, 4, 1, 1), w.floats("b8", 4)),
              "activation", "Tanh");
        }),
        // ONNX Runtime's main branch fuses Silu into FusedConv; 1.29's NCHWc kernels refuse it.
        new Case("fused_conv_silu", "fused_conv_silu", 17, 3, 5, 5, "", false, (g, w) -> {
          String c1 = g.contribOp("FusedConv", List.of("x", w.floats("w1", 0.4, 4, 3, 3, 3), w.floats("b1", 4)),
              "activation", "Silu");
          return g.contribOp("FusedConv", List.of(c1, w.floats("w2", 0.3, 2, 4, 1, 1)), "activation", "Silu");
        }),
        new Case("fused_gemm", "fused_gemm", 13, 3, 4, 4, "", true, (g, w) -> {
          String a = g.op("Flatten", List.of("x"), "axis", 1L);
          String g1 = g.contribOp("FusedGemm", List.of(a, w.floats("w1", 0.2, 48, 16), w.floats("c1", 16)),
              "alpha", 0.7f, "beta", 0.5f, "activation", "Elu", "activation_alpha", 0.8f);
          String g2 = g.contribOp("FusedGemm", List.of(g1, w.floats("w2", 0.3, 16, 16), w.floats("c2", 16)),
              "transB", 1L, "activation", "Selu", "activation_alpha", 1.5f, "activation_gamma", 1.2f);
          String g3 = g.contribOp("FusedGemm", List.of(g2, w.floats("w3", 0.3, 16, 16), w.floats("c3", 16)),
              "activation", "HardSigmoid", "activation_alpha", 0.3f, "activation_beta", 0.4f);
          String m = g.op("Reshape", List.of(g3, g.ints(0, 4, 4)));
          g.declare(m, -1, 4, 4);
          String product = g.contribOp("FusedMatMul", List.of(m, w.floats("m1", 4, 4)),
              "transA", 1L, "transB", 1L, "alpha", 0.5f);
          String softplus = g.contribOp("FusedGemm", List.of(g2, w.floats("w4", 0.3, 16, 16)),
              "activation", "Softplus");
          // As ONNX Runtime writes attention: the batch axes of a (4, N, 2, 2) tensor moved behind its first.
          String t = g.op("Reshape", List.of(g.op("Transpose", List.of(m), "perm", new long[] {1, 0, 2}),
              g.ints(4, -1, 2, 2)));
          g.declare(t, 4, -1, 2, 2);
          // ONNX Runtime's kernel takes transBatchA / transBatchB with inputs of one rank, 3 or more.
          String u = g.op("Transpose", List.of(t), "perm", new long[] {1, 2, 3, 0});
          String undeclared = g.op("Identity", List.of(t));
          String rows = g.contribOp("FusedMatMul", List.of(t, u), "transBatchA", 1L);
          String columns = g.contribOp("FusedMatMul", List.of(undeclared, undeclared), "transA", 1L,
              "transBatchA", 1L, "transBatchB", 1L);
          String batchB = g.contribOp("FusedMatMul", List.of(u, t), "transBatchB", 1L, "alpha", 0.5f);
          String last = g.contribOp("FusedMatMul", List.of(g.op("Relu", List.of(m)), w.floats("m5", 4, 4)),
              "transA", 1L);
          String first = g.op("Add", List.of(g.op("Reshape", List.of(product, g.ints(0, 16))), softplus));
          return g.op("Concat", List.of(first, g.op("Flatten", List.of(rows), "axis", 1L),
              g.op("Flatten", List.of(columns), "axis", 1L), g.op("Flatten", List.of(batchB), "axis", 1L),
              g.op("Flatten", List.of(last), "axis", 1L)), "axis", 1L);
        }),
        new Case("gelu", "gelu", 17, 2, 3, 8, "", true, (g, w) -> {
          String x = g.contribOp("Gelu", List.of("x"));
          x = g.contribOp("BiasGelu", List.of(x, w.floats("bias1", 8)));
          x = g.contribOp("FastGelu", List.of(x, w.floats("bias2", 8)));
          x = g.contribOp("FastGelu", List.of(x));
          x = g.contribOp("QuickGelu", List.of(x), "alpha", 1.5f);
          return g.contribOp("QuickGelu", List.of(x));
        }),
        new Case("encoder_opset13", "encoder", 13, 1, 6, 8, "heads=2 dq=8 dv=8", true, (g, w) ->
            encoder(g, w, 8, 8, a -> g.contribOp("Attention", List.of(a, w.floats("wqkv", 0.4, 8, 24),
                w.floats("bqkv", 24)), "num_heads", 2L))),
        new Case("encoder_sizes_bias", "encoder", 17, 1, 6, 8, "heads=2 dq=8 dv=4 scale=0.3", true, (g, w) ->
            encoder(g, w, 8, 4, a -> g.contribOp("Attention", List.of(a, w.floats("wqkv", 0.4, 8, 20),
                w.floats("bqkv", 20), "", "", w.floats("attention_bias", 1, 2, 6, 6)),
                "num_heads", 2L, "qkv_hidden_sizes", new long[] {8, 8, 4}, "scale", 0.3f))));
  }

  /**
   * A transformer block as ONNX Runtime's optimizer writes one: Attention, SkipLayerNormalization (its
   * sum output read by the second), a FastGelu MLP, SkipLayerNormalization with ONNX Runtime's default
   * epsilon.
   */
  private static String encoder(TestGraph g, SavedWeights w, long dq, long dv, Function<String, String> attention) {
    String s = g.op("Reshape", List.of("x", g.ints(0, 6, 8)));
    String a = attention.apply(s);
    if (dv != 8) {
      a = g.op("MatMul", List.of(a, w.floats("wo", 0.4, dv, 8)));
    }
    List<String> norm = g.contribOps("SkipLayerNormalization", List.of(a, s, w.floats("gamma1", 8),
        w.floats("beta1", 8), w.floats("bias1", 8)), 4, "epsilon", 1e-5f);
    String mlp = g.contribOp("FastGelu", List.of(g.op("MatMul", List.of(norm.get(0), w.floats("w2", 0.4, 8, 8)))));
    return g.contribOp("SkipLayerNormalization", List.of(mlp, norm.get(3), w.floats("gamma2", 8)));
  }

  private final Map<String, float[]> gradients = new HashMap<>();
  private final Map<String, float[]> scores = new HashMap<>();
  private final Map<String, float[]> asWritten = new HashMap<>();
  private final Map<String, Path> models = new HashMap<>();

  @BeforeAll
  void netvisOnnxRuntimeAndPyTorch() throws Exception {
    StringBuilder lines = new StringBuilder();
    for (Case c : cases()) {
      TestGraph g = new TestGraph(c.opset(), 0, c.c(), c.h(), c.w());
      SavedWeights weights = new SavedWeights(g, c.id().hashCode());
      Path model = g.save(dir, c.id(), c.body().apply(g, weights));
      models.put(c.id(), model);
      Random random = new Random(c.id().hashCode() + 1);
      Tensor x = RandomTensors.gaussian(random, 1, 2, c.c(), c.h(), c.w());
      try (Engine engine = GradientCheck.open(model, dir)) {
        Tensor logits = engine.scores(x);
        scores.put(c.id(), logits.data());
        Tensor ct = RandomTensors.gaussian(random, 1, logits.shape());
        gradients.put(c.id(), engine.vjp(x, ct).inputGradient().data());
        Npy.write(dir.resolve(c.id() + "_ct.npy"), ct);
      }
      if (c.kernels()) {
        asWritten.put(c.id(), AsWritten.scores(model, x));
      }
      Npy.write(dir.resolve(c.id() + "_x.npy"), x);
      weights.write(dir, c.id());
      lines.append(c.id()).append(' ').append(c.kind()).append(' ').append(c.params()).append('\n');
    }
    Files.writeString(dir.resolve("cases.txt"), lines);
    PythonReference.run(PythonReference.script("engine", "fused_reference.py"), 10, dir.toString());
  }

  static List<Case> casesOnnxRuntimeRuns() {
    return cases().stream().filter(Case::kernels).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("casesOnnxRuntimeRuns")
  void scoresAreWhatOnnxRuntimesKernelsCompute(Case c) {
    float[] netvis = scores.get(c.id());
    float[] kernels = asWritten.get(c.id());
    assertEquals(kernels.length, netvis.length);
    double largest = 0;
    double worst = 0;
    for (int i = 0; i < kernels.length; i++) {
      largest = Math.max(largest, Math.abs(kernels[i]));
      worst = Math.max(worst, Math.abs(netvis[i] - kernels[i]));
    }
    System.out.printf("%s: scores within %.2e of ONNX Runtime's fused kernels (largest score %.3f)%n", c, worst,
        largest);
    assertTrue(worst <= 1e-5 * Math.max(1, largest), c + ": netvis' scores differ from ONNX Runtime's fused kernels by"
        + " up to " + worst + " (largest score " + largest + ")");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientIsAsCloseToFloat64AsPyTorchFloat32(Case c) throws Exception {
    Compare.assertAsCloseToFloat64AsPyTorch(c.toString(), gradients.get(c.id()),
        Npy.read(dir.resolve(c.id() + "_f32.npy")).asDoubles(), Npy.read(dir.resolve(c.id() + "_f64.npy")).asDoubles(),
        2, 1e-6);
  }

  @Test
  void theManifestCountsWhatWasReadAndTheForwardPassSaysSo() throws Exception {
    try (Engine engine = GradientCheck.open(models.get("encoder_opset13"), dir)) {
      String note = (String) engine.modelRecord().get("fused");
      assertTrue(note.contains("1 com.microsoft.Attention") && note.contains("1 com.microsoft.FastGelu")
          && note.contains("2 com.microsoft.SkipLayerNormalization"), note);
      assertTrue(engine.forwardPass().contains("fused com.microsoft operators as their definitions"),
          engine.forwardPass());
    }
  }

  @Test
  void whatNetvisDoesNotReadIsRefusedNamingTheNode() {
    assertRefused("a mask_index input", g -> g.contribOp("Attention", List.of(g.op("Reshape", List.of("x",
        g.ints(0, 6, 8))), g.random(0.3, 8, 24), g.random(0.1, 24), g.intTensor(new long[] {6, 6}, 2)),
        "num_heads", 2L), "Attention_node_", "mask_index");
    assertRefused("an activation ONNX Runtime does not fuse into FusedConv", g -> g.contribOp("FusedConv",
        List.of("x", g.random(0.3, 2, 1, 1, 1)), "activation", "Gelu"), "FusedConv_node_", "activation 'Gelu'");
    assertRefused("the saved mean read", g -> {
      String s = g.op("Reshape", List.of("x", g.ints(0, 6, 8)));
      List<String> out = g.contribOps("SkipLayerNormalization", List.of(s, s, g.random(1, 8)), 2);
      return g.op("Add", List.of(out.get(0), out.get(1)));
    }, "SkipLayerNormalization_node_", "output 1");
  }

  @Test
  void anotherContribOperatorOnTheGradientPathNamesWhatNetvisReads() throws Exception {
    TestGraph g = new TestGraph(17, 0, 1, 6, 8);
    String s = g.op("Reshape", List.of("x", g.ints(0, 6, 8)));
    String out = g.contribOp("SkipSimplifiedLayerNormalization", List.of(s, s, g.random(1, 8)));
    Path model = g.save(dir, "skip_rms_norm", out);
    try (Engine engine = GradientCheck.open(model, dir)) {
      Tensor x = RandomTensors.gaussian(new Random(3), 1, 1, 1, 6, 8);
      UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class,
          () -> engine.vjp(x, RandomTensors.gaussian(new Random(4), 1, 1, 48)));
      assertTrue(e.getMessage().contains("com.microsoft.SkipSimplifiedLayerNormalization") && e.getMessage()
          .contains(FusedOperators.READ) && e.getMessage().contains("QAttention after a DynamicQuantizeLinear"),
          e.getMessage());
    }
  }

  private static void assertRefused(String what, Function<TestGraph, String> body, String node, String why) {
    TestGraph g = new TestGraph(17, 0, 1, 6, 8);
    String out = body.apply(g);
    GraphBuildException e = assertThrows(GraphBuildException.class, () -> ModelGraph.of(g.model(out), "test.onnx"),
        what);
    assertTrue(e.getMessage().contains(node) && e.getMessage().contains(why), what + ": " + e.getMessage());
  }
}

package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AsWritten;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.PythonReference;
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.TestGraph;

/**
 * A network in the form ONNX Runtime's quantize_dynamic writes (DynamicQuantizeLinear, ConvInteger
 * and MatMulInteger, Cast, a Mul by the scales) against PyTorch's fake quantization with each image's
 * dynamic parameters ({@code engine/src/test/python/dynamic_quantization_reference.py}), and against
 * ONNX Runtime running the file as written on one image.
 */
class DynamicQuantizationTest {
  private static final int UINT8 = TensorProto.DataType.UINT8_VALUE;
  private static final int INT8 = TensorProto.DataType.INT8_VALUE;
  private static final long FLOAT = TensorProto.DataType.FLOAT_VALUE;

  @TempDir Path dir;

  /**
   * Weights of 7 bits (ONNX Runtime's reduce_range), so that its u8s8 kernels do not saturate on x86
   * without VNNI and the file as written computes the definition.
   */
  private static long[] levels(Random random, int n) {
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextInt(127) - 63;
    }
    return v;
  }

  @Test
  void dynamicallyQuantizedProductsPassTheGradientAsPyTorchFakeQuantizationDoes() throws Exception {
    Random random = new Random(31);
    TestGraph g = new TestGraph(17, 0, 3, 8, 8);
    long[] wc = levels(random, 4 * 3 * 3 * 3);
    float wcScale = 0.004f;
    long[] w2 = levels(random, 16 * 6);
    float[] w2Scales = {0.003f, 0.004f, 0.002f, 0.005f, 0.003f, 0.004f};
    long[] w2Zeros = {0, 1, -1, 2, 0, -2};
    float[] bc = RandomTensors.gaussian(random, 0.1, 4).data();
    float[] b2 = RandomTensors.gaussian(random, 0.1, 6).data();

    List<String> q1 = g.ops("DynamicQuantizeLinear", List.of("x"), 3);
    String conv = g.op("ConvInteger", List.of(q1.get(0), g.integers(INT8, wc, 4, 3, 3, 3), q1.get(2)),
        "pads", new long[] {1, 1, 1, 1});
    String scaled = g.op("Mul", List.of(g.op("Cast", List.of(conv), "to", FLOAT),
        g.op("Mul", List.of(q1.get(1), g.floats(new float[] {wcScale})))));
    String relu = g.op("Relu", List.of(g.op("Add", List.of(scaled, g.floats(bc, 1, 4, 1, 1)))));
    List<String> q2 = g.ops("DynamicQuantizeLinear", List.of(g.op("Reshape", List.of(relu, g.ints(0, 16, 16)))), 3);
    String product = g.op("MatMulInteger", List.of(q2.get(0), g.integers(INT8, w2, 16, 6), q2.get(2),
        g.integers(INT8, w2Zeros, 6)));
    String rows = g.op("Add", List.of(g.op("Mul", List.of(g.op("Cast", List.of(product), "to", FLOAT),
        g.op("Mul", List.of(q2.get(1), g.floats(w2Scales, 6))))), g.floats(b2, 6)));
    Path model = g.save(dir, "dynamic", g.op("ReduceMean", List.of(rows), "axes", new long[] {1}, "keepdims", 0L));
    assertTrue(ModelGraph.read(model).note("quantization").endsWith("dynamic quantization: 2 DynamicQuantizeLinear read"
        + " per image (each image's scale and zero point from its own values, as ONNX Runtime computes them for a"
        + " batch of one), 2 integer products (MatMulInteger, ConvInteger; QAttention as the float Attention it"
        + " quantizes) computed in float32 from the dequantized values"), ModelGraph.read(model).note("quantization"));

    Tensor x = RandomTensors.gaussian(random, 1, 2, 3, 8, 8);
    Tensor ct = RandomTensors.gaussian(random, 1, 2, 6);
    VjpResult both;
    try (Engine engine = GradientCheck.open(model, dir)) {
      both = engine.vjp(x, ct);
      assertArrayEquals(engine.scores(x).data(), both.logits().data(), 1e-6f);
      // Each image's result is its own: the same in a batch of two as alone.
      for (int i = 0; i < 2; i++) {
        VjpResult alone = engine.vjp(x.slice(i, i + 1), ct.slice(i, i + 1));
        assertArrayEquals(alone.logits().data(), both.logits().slice(i, i + 1).data(), 1e-6f);
        assertArrayEquals(alone.inputGradient().data(), both.inputGradient().slice(i, i + 1).data(), 1e-6f);
        // ONNX Runtime's integer kernels on the file as written, for a batch of one.
        float[] file = AsWritten.scores(model, x.slice(i, i + 1));
        for (int k = 0; k < file.length; k++) {
          assertEquals(file[k], alone.logits().data()[k], 1e-5, "image " + i + ", score " + k);
        }
      }
    }

    // Exporters may leave nodes unnamed; the nodes netvis adds must still be named apart.
    var unnamed = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model)).toBuilder();
    unnamed.getGraphBuilder().getNodeBuilderList().forEach(n -> n.setName(""));
    Path unnamedFile = dir.resolve("unnamed.onnx");
    Files.write(unnamedFile, unnamed.build().toByteArray());
    try (Engine engine = GradientCheck.open(unnamedFile, dir)) {
      assertArrayEquals(both.logits().data(), engine.scores(x).data(), 1e-6f);
    }

    Npy.write(dir.resolve("x.npy"), x);
    Npy.write(dir.resolve("ct.npy"), ct);
    float[] wcFloat = new float[wc.length];
    for (int i = 0; i < wc.length; i++) {
      wcFloat[i] = wc[i] * wcScale;
    }
    float[] w2Float = new float[w2.length];
    for (int i = 0; i < w2.length; i++) {
      w2Float[i] = (w2[i] - w2Zeros[i % 6]) * w2Scales[i % 6];
    }
    Npy.write(dir.resolve("wc.npy"), new Tensor(new long[] {4, 3, 3, 3}, wcFloat));
    Npy.write(dir.resolve("bc.npy"), new Tensor(new long[] {4}, bc));
    Npy.write(dir.resolve("w2.npy"), new Tensor(new long[] {16, 6}, w2Float));
    Npy.write(dir.resolve("b2.npy"), new Tensor(new long[] {6}, b2));
    PythonReference.run(PythonReference.script("engine", "dynamic_quantization_reference.py"), 10, dir.toString());
    double[] torchScores = Npy.read(dir.resolve("scores_f64.npy")).asDoubles();
    for (int k = 0; k < torchScores.length; k++) {
      assertEquals(torchScores[k], both.logits().data()[k], 1e-5, "score " + k + " against PyTorch float64");
    }
    double[] torch64 = Npy.read(dir.resolve("grad_f64.npy")).asDoubles();
    double[] torch32 = Npy.read(dir.resolve("grad_f32.npy")).asDoubles();
    long zeros = Arrays.stream(torch64).filter(v -> v == 0).count();
    Compare.assertAsCloseToFloat64AsPyTorch("dynamically quantized network (" + zeros + " of " + torch64.length
        + " input gradients zero)", both.inputGradient().data(), torch32, torch64, 2, 1e-6);
  }

  /**
   * QAttention, quantize_dynamic's form of an optimized transformer's com.microsoft Attention, is the
   * float Attention of its dequantized input and weights: each image's scores as ONNX Runtime's QAttention
   * kernel computes them for that image alone, and the gradient as PyTorch's fake quantization of the
   * same attention (per-column weight scales and zero points).
   */
  @Test
  void quantizedAttentionIsTheFloatAttentionItQuantizes() throws Exception {
    Random random = new Random(37);
    TestGraph g = new TestGraph(17, 0, 1, 6, 8);
    long[] w = levels(random, 8 * 24);
    float[] scales = new float[24];
    long[] zeros = new long[24];
    for (int c = 0; c < 24; c++) {
      scales[c] = 0.006f + 0.004f * random.nextFloat();
      zeros[c] = random.nextInt(5) - 2;
    }
    float[] bias = RandomTensors.gaussian(random, 0.1, 24).data();
    List<String> q = g.ops("DynamicQuantizeLinear", List.of(g.op("Reshape", List.of("x", g.ints(0, 6, 8)))), 3);
    String out = g.contribOp("QAttention", List.of(q.get(0), g.integers(INT8, w, 8, 24), g.floats(bias, 24), q.get(1),
        g.floats(scales, 24), "", q.get(2), g.integers(INT8, zeros, 24)), "num_heads", 2L);
    Path model = g.save(dir, "qattention", out);
    ModelGraph graph = ModelGraph.read(model);
    assertTrue(graph.note("quantization").contains("1 DynamicQuantizeLinear read per image")
        && graph.note("quantization").contains("1 integer products"), graph.note("quantization"));
    assertTrue(graph.note("fused").contains("1 com.microsoft.Attention"), graph.note("fused"));

    TestGraph masked = new TestGraph(17, 0, 1, 6, 8);
    List<String> mq = masked.ops("DynamicQuantizeLinear", List.of(masked.op("Reshape", List.of("x", masked.ints(0, 6, 8)))), 3);
    String maskedOut = masked.contribOp("QAttention", List.of(mq.get(0), masked.integers(INT8, w, 8, 24),
        masked.floats(bias, 24), mq.get(1), masked.floats(scales, 24), masked.intTensor(new long[] {6}, 1), mq.get(2)),
        "num_heads", 2L);
    GraphBuildException refused = assertThrows(GraphBuildException.class,
        () -> ModelGraph.of(masked.model(maskedOut), "masked.onnx"));
    assertTrue(refused.getMessage().startsWith("QAttention node 'QAttention_node_") && refused.getMessage()
        .contains("has a mask_index input"), refused.getMessage());

    Tensor x = RandomTensors.gaussian(random, 1, 2, 1, 6, 8);
    Tensor ct = RandomTensors.gaussian(random, 1, 2, 48);
    VjpResult both;
    try (Engine engine = GradientCheck.open(model, dir)) {
      both = engine.vjp(x, ct);
      for (int i = 0; i < 2; i++) {
        float[] file = AsWritten.scores(model, x.slice(i, i + 1));
        float[] alone = engine.scores(x.slice(i, i + 1)).data();
        for (int k = 0; k < file.length; k++) {
          assertEquals(file[k], alone[k], 1e-5, "image " + i + ", score " + k + " against ONNX Runtime's QAttention");
        }
      }
    }
    Npy.write(dir.resolve("x.npy"), x);
    Npy.write(dir.resolve("ct.npy"), ct);
    float[] weights = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      weights[i] = (w[i] - zeros[i % 24]) * scales[i % 24];
    }
    Npy.write(dir.resolve("wqkv.npy"), new Tensor(new long[] {8, 24}, weights));
    Npy.write(dir.resolve("bqkv.npy"), new Tensor(new long[] {24}, bias));
    PythonReference.run(PythonReference.script("engine", "dynamic_quantization_reference.py"), 10, dir.toString(),
        "attention");
    double[] torchScores = Npy.read(dir.resolve("scores_f64.npy")).asDoubles();
    for (int k = 0; k < torchScores.length; k++) {
      assertEquals(torchScores[k], both.logits().data()[k], 1e-5, "score " + k + " against PyTorch float64");
    }
    Compare.assertAsCloseToFloat64AsPyTorch("QAttention", both.inputGradient().data(),
        Npy.read(dir.resolve("grad_f32.npy")).asDoubles(), Npy.read(dir.resolve("grad_f64.npy")).asDoubles(), 2, 1e-6);
  }

  /** Below opset 13 QuantizeLinear has no axis to quantize each image with its own scale: refused by name. */
  @Test
  void dynamicQuantizationBelowOpsetThirteenIsRefusedByName() throws Exception {
    TestGraph g = new TestGraph(12, 0, 1, 4, 4);
    List<String> q = g.ops("DynamicQuantizeLinear", List.of(g.op("Flatten", List.of("x"))), 3);
    String product = g.op("MatMulInteger", List.of(q.get(0), g.integers(INT8, new long[16 * 3], 16, 3), q.get(2)));
    Path model = g.save(dir, "old", g.op("Mul", List.of(g.op("Cast", List.of(product), "to", FLOAT), q.get(1))));
    GraphBuildException e = assertThrows(GraphBuildException.class, () -> ModelGraph.read(model));
    assertTrue(e.getMessage().startsWith("DynamicQuantizeLinear node 'DynamicQuantizeLinear_node_1' in a graph of"
        + " opset 12; netvis reads dynamic quantization from opset 13"), e.getMessage());
  }
}

package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.PythonReference;
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.TestGraph;

/**
 * A CNN in ONNX Runtime's QDQ format (per-channel uint8 input quantizer, uint8 quantizer after a
 * ReLU, int8 weights dequantized per output channel) against PyTorch's own fake quantization
 * ({@code engine/src/test/python/quantization_reference.py}): the straight-through gradient, zero where a
 * quantizer clamped, as close to float64 autograd as PyTorch's float32 is, within a factor of two.
 */
class QuantizationReferenceTest {
  private static final int UINT8 = TensorProto.DataType.UINT8_VALUE;
  private static final int INT8 = TensorProto.DataType.INT8_VALUE;

  @TempDir Path dir;

  @Test
  void straightThroughGradientMatchesPyTorchFakeQuantization() throws Exception {
    Random random = new Random(17);
    TestGraph g = new TestGraph(17, 0, 3, 8, 8);
    float[] inputScales = {0.03f, 0.04f, 0.05f};
    long[] inputZeros = {128, 120, 136};
    String s1 = g.floats(inputScales, 3);
    String z1 = g.integers(UINT8, inputZeros, 3);
    String d1 = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of("x", s1, z1), "axis", 1L), s1, z1),
        "axis", 1L);
    Tensor w1 = RandomTensors.gaussian(random, 0.4, 6, 3, 3, 3);
    String r = g.op("Relu", List.of(g.op("Conv", List.of(d1, g.floats(w1.data(), 6, 3, 3, 3)),
        "pads", new long[] {1, 1, 1, 1})));
    float reluScale = 0.01f;
    String s2 = g.floats(new float[] {reluScale});
    String z2 = g.integers(UINT8, new long[] {0});
    String d2 = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of(r, s2, z2)), s2, z2));
    long[] w2q = new long[4 * 6 * 3 * 3];
    float[] weightScales = {0.004f, 0.005f, 0.006f, 0.003f};
    Tensor w2 = Tensor.zeros(4, 6, 3, 3);
    for (int i = 0; i < w2q.length; i++) {
      w2q[i] = random.nextInt(255) - 127;
      w2.data()[i] = w2q[i] * weightScales[i / (6 * 3 * 3)];
    }
    String weights = g.op("DequantizeLinear", List.of(g.integers(INT8, w2q, 4, 6, 3, 3), g.floats(weightScales, 4),
        g.integers(INT8, new long[4], 4)), "axis", 0L);
    Path model = g.save(dir, "qdq", g.op("GlobalAveragePool", List.of(g.op("Conv", List.of(d2, weights)))));

    Tensor x = RandomTensors.gaussian(random, 2.5, 2, 3, 8, 8);
    Tensor ct = RandomTensors.gaussian(random, 1, 2, 4);
    int clamped = 0;
    for (int i = 0; i < x.size(); i++) {
      int c = (i / 64) % 3;
      long level = Math.round(x.data()[i] / inputScales[c]) + inputZeros[c];
      clamped += level < 0 || level > 255 ? 1 : 0;
    }
    assertTrue(clamped > 10, "the input quantizer clamps some values: " + clamped);
    float[] grad;
    org.junit.jupiter.api.Assertions.assertEquals("the file quantizes 2 tensors computed from the image (QuantizeLinear);"
        + " gradients pass each quantize-dequantize pair straight through where it did not clamp, as PyTorch's fake"
        + " quantization does", ModelGraph.read(model).note("quantization"));
    try (Engine engine = GradientCheck.open(model, dir)) {
      grad = engine.vjp(x, ct).inputGradient().data();
    }
    Npy.write(dir.resolve("x.npy"), x);
    Npy.write(dir.resolve("ct.npy"), ct);
    Npy.write(dir.resolve("w1.npy"), w1);
    Npy.write(dir.resolve("w2.npy"), w2);
    Npy.write(dir.resolve("q1_scale.npy"), new Tensor(new long[] {3}, inputScales));
    Npy.write(dir.resolve("q1_zero.npy"), new Tensor(new long[] {3}, new float[] {128, 120, 136}));
    Npy.write(dir.resolve("q2.npy"), new Tensor(new long[] {2}, new float[] {reluScale, 0}));
    PythonReference.run(PythonReference.script("engine", "quantization_reference.py"), 10, dir.toString());

    double[] torch64 = Npy.read(dir.resolve("grad_f64.npy")).asDoubles();
    double[] torch32 = Npy.read(dir.resolve("grad_f32.npy")).asDoubles();
    long zeros = java.util.Arrays.stream(torch64).filter(v -> v == 0).count();
    Compare.assertAsCloseToFloat64AsPyTorch("QDQ CNN (" + zeros + " of " + torch64.length + " input gradients zero, "
        + clamped + " inputs clamped)", grad, torch32, torch64, 2, 1e-6);
  }

  /**
   * An integer product (MatMulInteger) of values quantized with constant parameters, brought back to
   * float by a Cast: its staircase has no gradient netvis reads; refused with the node that reads the
   * product, not answered with a zero gradient.
   */
  @Test
  void integerOperatorsOnTheGradientPathAreRefusedByName() throws Exception {
    TestGraph g = new TestGraph(17, 0, 1, 4, 4);
    String quantized = g.op("QuantizeLinear", List.of(g.op("Flatten", List.of("x")), g.floats(new float[] {0.05f}),
        g.integers(UINT8, new long[] {128})));
    String product = g.op("MatMulInteger", List.of(quantized, g.integers(INT8, new long[16 * 3], 16, 3),
        g.integers(UINT8, new long[] {128})));
    String out = g.op("Mul", List.of(g.op("Cast", List.of(product), "to", (long) TensorProto.DataType.FLOAT_VALUE),
        g.floats(new float[] {0.01f})));
    try (Engine engine = GradientCheck.open(g.save(dir, "integer", out), dir)) {
      GraphBuildException e = org.junit.jupiter.api.Assertions.assertThrows(GraphBuildException.class,
          () -> engine.vjp(RandomTensors.gaussian(new Random(1), 1, 1, 1, 4, 4), Tensor.zeros(1, 3)));
      assertTrue(e.getMessage().contains("Cast node 'Cast_node_8' reads 'matmulinteger_6' from MatMulInteger node"
          + " 'MatMulInteger_node_7', integer arithmetic on values quantized from the image"), e.getMessage());
    }
  }

  /**
   * A residual QDQ block with its per-tensor scales and zero points written as one-element 1-D tensors,
   * as PyTorch's QAT export writes them (ONNX Runtime 1.29 fuses the Add's group into a QLinearAdd that
   * then refuses them): it loads, and gives the logits and gradient of the same block written with scalars.
   */
  @Test
  void oneElementScalesGiveWhatScalarScalesGive() throws Exception {
    float[][] results = new float[2][];
    for (int variant = 0; variant < 2; variant++) {
      long[] shape = variant == 0 ? new long[] {1} : new long[0];
      TestGraph g = new TestGraph(13, 4, 2, 5, 5);
      String scale = g.floats(new float[] {0.05f}, shape);
      String zero = g.integers(UINT8, new long[] {128}, shape);
      String in = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of("x", scale, zero)), scale, zero));
      String conv = g.op("Conv", List.of(in, g.random(0.4, 2, 2, 3, 3)), "pads", new long[] {1, 1, 1, 1});
      String convQ = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of(conv, scale, zero)), scale, zero));
      String sum = g.op("Add", List.of(convQ, in));
      String out = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of(sum, scale, zero)), scale, zero));
      Path model = g.save(dir, "residual" + variant, out);
      ModelGraph graph = ModelGraph.read(model);
      assertTrue(variant == 1 ? graph.asWritten() : graph.note("quantization").endsWith("; 12 one-element scales and"
          + " zero points read as scalars, which ONNX Runtime's QDQ fusion needs"), graph.note("quantization"));
      try (Engine engine = GradientCheck.open(model, dir)) {
        Tensor x = RandomTensors.gaussian(new Random(3), 2, 2, 2, 5, 5);
        Tensor ct = RandomTensors.gaussian(new Random(4), 1, 2, 50);
        var r = engine.vjp(x, ct);
        results[variant] = concat(r.logits().data(), r.inputGradient().data());
      }
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(results[1], results[0]);
  }

  /**
   * ONNX Runtime's com.microsoft QuantizeLinear and DequantizeLinear (its quantizer writes them for
   * 16-bit activations below opset 21): a linear network with 16-bit pairs whose levels never clamp has
   * the float network's input gradient, and with 8-bit pairs the same logits and gradient as with the
   * ONNX operators.
   */
  @Test
  void onnxRuntimesOwnQuantizersReadAsTheOnnxOnes() throws Exception {
    float[][] results = new float[3][];
    String[] kinds = {"float", "contrib16", "contrib8"};
    Tensor x = RandomTensors.gaussian(new Random(8), 1, 2, 2, 6, 6);
    Tensor ct = RandomTensors.gaussian(new Random(9), 1, 2, 3);
    for (int k = 0; k < kinds.length; k++) {
      TestGraph g = new TestGraph(17, 6, 2, 6, 6);
      boolean sixteen = kinds[k].equals("contrib16");
      int type = sixteen ? TensorProto.DataType.UINT16_VALUE : UINT8;
      String in = "x";
      String[] scale = {g.floats(new float[] {sixteen ? 1e-4f : 0.05f}), g.floats(new float[] {sixteen ? 1e-3f : 0.1f})};
      String[] zero = {g.integers(type, new long[] {sixteen ? 32768 : 128}), g.integers(type, new long[] {sixteen ? 32768 : 128})};
      if (k > 0) {
        in = g.contribOp("DequantizeLinear", List.of(g.contribOp("QuantizeLinear", List.of(in, scale[0], zero[0])),
            scale[0], zero[0]));
      }
      String conv = g.op("Conv", List.of(in, g.random(0.4, 3, 2, 3, 3)), "pads", new long[] {1, 1, 1, 1});
      if (k > 0) {
        conv = g.contribOp("DequantizeLinear", List.of(g.contribOp("QuantizeLinear", List.of(conv, scale[1], zero[1])),
            scale[1], zero[1]));
      }
      Path model = g.save(dir, kinds[k], g.op("GlobalAveragePool", List.of(conv)));
      if (k > 0) {
        assertTrue(ModelGraph.read(model).note("quantization").startsWith("the file quantizes 2 tensors"),
            ModelGraph.read(model).note("quantization"));
      }
      try (Engine engine = GradientCheck.open(model, dir)) {
        var r = engine.vjp(x, ct);
        results[k] = k == 2 ? concat(r.logits().data(), r.inputGradient().data()) : r.inputGradient().data();
      }
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(results[0], results[1], 1e-6f,
        "16-bit pairs that never clamp pass the float gradient");
    // The 8-bit network again with the ONNX operators.
    TestGraph g = new TestGraph(17, 6, 2, 6, 6);
    String scale0 = g.floats(new float[] {0.05f});
    String scale1 = g.floats(new float[] {0.1f});
    String zero0 = g.integers(UINT8, new long[] {128});
    String zero1 = g.integers(UINT8, new long[] {128});
    String in = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of("x", scale0, zero0)), scale0, zero0));
    String conv = g.op("Conv", List.of(in, g.random(0.4, 3, 2, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    conv = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of(conv, scale1, zero1)), scale1, zero1));
    try (Engine engine = GradientCheck.open(g.save(dir, "onnx8", g.op("GlobalAveragePool", List.of(conv))), dir)) {
      var r = engine.vjp(x, ct);
      org.junit.jupiter.api.Assertions.assertArrayEquals(concat(r.logits().data(), r.inputGradient().data()),
          results[2], "com.microsoft's 8-bit pairs as the ONNX ones");
    }
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}

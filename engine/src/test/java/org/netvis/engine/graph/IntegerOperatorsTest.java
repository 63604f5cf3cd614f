package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AsWritten;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.PythonReference;
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.TestGraph;

/**
 * Models in the QOperator format (integer operators: QLinearConv, QGemm, QLinearAdd, ... and
 * MaxPool or Flatten on 8-bit values) against PyTorch's fake quantization of the same network
 * ({@code engine/src/test/python/qoperator_reference.py}), and against ONNX Runtime running the file
 * as written.
 */
class IntegerOperatorsTest {
  private static final int UINT8 = TensorProto.DataType.UINT8_VALUE;
  private static final int INT8 = TensorProto.DataType.INT8_VALUE;
  private static final int INT32 = TensorProto.DataType.INT32_VALUE;

  @TempDir Path dir;

  /** Integer weights quantized per output channel (symmetric int8), with the float values they stand for. */
  private record Int8Weights(long[] levels, float[] scales, float[] values, long[] shape) {
    static Int8Weights perChannel(Random random, double std, long... shape) {
      int n = (int) Tensor.numel(shape);
      int channels = (int) shape[0];
      float[] w = RandomTensors.gaussian(random, std, shape).data();
      float[] scales = new float[channels];
      for (int i = 0; i < n; i++) {
        scales[i / (n / channels)] = Math.max(scales[i / (n / channels)], Math.abs(w[i]) / 127);
      }
      long[] levels = new long[n];
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        float scale = scales[i / (n / channels)];
        levels[i] = Math.round(w[i] / scale);
        values[i] = levels[i] * scale;
      }
      return new Int8Weights(levels, scales, values, shape);
    }

    /** An int32 bias per output channel at scale inputScale * scales[c], zero point 0, and its float values. */
    long[] bias(Random random, float inputScale, float[] values) {
      long[] levels = new long[scales.length];
      for (int c = 0; c < levels.length; c++) {
        float scale = inputScale * scales[c];
        levels[c] = Math.round(random.nextGaussian() * 0.1 / scale);
        values[c] = levels[c] * scale;
      }
      return levels;
    }
  }

  /** Scale and zero point of each quantized activation, in qoperator_reference.py's order. */
  private static final float[][] ACTIVATIONS = {
      {0.02f, 128}, {0.02f, 0}, {0.03f, 128}, {0.05f, 80}, {1 / 256f, 0}, {0.04f, 10}, {0.05f, 80}, {0.02f, 60},
      {0.05f, 128}};

  private String[] scale;
  private String[] zero;

  private Path qoperatorNetwork(TestGraph g, Random random, Map<String, Tensor> floats) throws Exception {
    scale = new String[ACTIVATIONS.length];
    zero = new String[ACTIVATIONS.length];
    for (int i = 0; i < ACTIVATIONS.length; i++) {
      scale[i] = g.floats(new float[] {ACTIVATIONS[i][0]});
      zero[i] = g.integers(UINT8, new long[] {(long) ACTIVATIONS[i][1]});
    }
    Int8Weights w1 = Int8Weights.perChannel(random, 0.3, 6, 3, 3, 3);
    Int8Weights w2 = Int8Weights.perChannel(random, 0.1, 6, 6, 3, 3);
    Int8Weights wf = Int8Weights.perChannel(random, 0.3, 5, 12);
    float[] b1 = new float[6];
    float[] b2 = new float[6];
    float[] bf = new float[5];
    String xq = g.op("QuantizeLinear", List.of("x", scale[0], zero[0]));
    String c1 = g.op("QLinearConv", List.of(xq, scale[0], zero[0], weights(g, w1), g.floats(w1.scales(), 6),
        g.integers(INT8, new long[6], 6), scale[1], zero[1],
        g.integers(INT32, w1.bias(random, ACTIVATIONS[0][0], b1), 6)), "pads", new long[] {1, 1, 1, 1});
    String p = g.op("MaxPool", List.of(c1), "kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2});
    String c2 = g.contribOp("QLinearConv", List.of(p, scale[1], zero[1], weights(g, w2), g.floats(w2.scales(), 6),
        g.integers(INT8, new long[6], 6), scale[2], zero[2],
        g.integers(INT32, w2.bias(random, ACTIVATIONS[1][0], b2), 6)), "pads", new long[] {1, 1, 1, 1});
    String r = g.contribOp("QLinearAdd", List.of(p, scale[1], zero[1], c2, scale[2], zero[2], scale[3], zero[3]));
    String s = g.contribOp("QLinearSigmoid", List.of(r, scale[3], zero[3], scale[4], zero[4]));
    String m = g.contribOp("QLinearMul", List.of(r, scale[3], zero[3], s, scale[4], zero[4], scale[5], zero[5]));
    String cat = g.contribOp("QLinearConcat", List.of(scale[6], zero[6], r, scale[3], zero[3], m, scale[5], zero[5]),
        "axis", 1L);
    String pool = g.contribOp("QLinearGlobalAveragePool", List.of(cat, scale[6], zero[6], scale[7], zero[7]));
    String flat = g.op("Flatten", List.of(pool), "axis", 1L);
    String fc = g.contribOp("QGemm", List.of(flat, scale[7], zero[7], weights(g, wf), g.floats(wf.scales(), 5),
        g.integers(INT8, new long[5], 5), g.integers(INT32, wf.bias(random, ACTIVATIONS[7][0], bf), 5), scale[8],
        zero[8]), "transB", 1L);
    floats.put("w1", new Tensor(w1.shape(), w1.values()));
    floats.put("w2", new Tensor(w2.shape(), w2.values()));
    floats.put("wf", new Tensor(wf.shape(), wf.values()));
    floats.put("b1", new Tensor(new long[] {6}, b1));
    floats.put("b2", new Tensor(new long[] {6}, b2));
    floats.put("bf", new Tensor(new long[] {5}, bf));
    return g.save(dir, "qoperator", g.op("DequantizeLinear", List.of(fc, scale[8], zero[8])));
  }

  private static String weights(TestGraph g, Int8Weights w) {
    return g.integers(INT8, w.levels(), w.shape());
  }

  /**
   * Opset 13 and later dequantize per-channel weights with DequantizeLinear's axis; the ONNX model
   * zoo's int8 models are opset 10 to 12, whose DequantizeLinear takes one scale, so netvis
   * dequantizes those weights itself.
   */
  @ParameterizedTest
  @ValueSource(ints = {13, 12})
  void integerOperatorsPassTheGradientAsPyTorchFakeQuantizationDoes(int opset) throws Exception {
    Random random = new Random(23);
    Map<String, Tensor> floats = new java.util.TreeMap<>();
    Path model = qoperatorNetwork(new TestGraph(opset, 0, 3, 8, 8), random, floats);
    // The pooled uint8 tensor, read by QLinearConv and QLinearAdd, is dequantized once, under a name a user can give.
    var dequantizers = ModelGraph.read(model).proto().getGraph().getNodeList().stream()
        .filter(n -> n.getOpType().equals("DequantizeLinear") && n.getInput(0).startsWith("maxpool_")).toList();
    assertEquals(1, dequantizers.size(), dequantizers.toString());
    assertEquals(dequantizers.get(0).getInput(0) + "/dequantized", dequantizers.get(0).getOutput(0));
    assertEquals("the file quantizes 11 tensors computed from the image (QuantizeLinear); gradients pass each"
        + " quantize-dequantize pair straight through where it did not clamp, as PyTorch's fake quantization does;"
        + " the file's integer operators (the QOperator format: 1 Flatten (8-bit), 1 MaxPool (8-bit), 1 QGemm,"
        + " 1 QLinearAdd, 1 QLinearConcat, 2 QLinearConv, 1 QLinearGlobalAveragePool, 1 QLinearMul, 1 QLinearSigmoid)"
        + " read as their definition, DequantizeLinear -> float operator -> QuantizeLinear", ModelGraph.read(model).note("quantization"));

    Tensor x = RandomTensors.gaussian(random, 1.2, 2, 3, 8, 8);
    Tensor ct = RandomTensors.gaussian(random, 1, 2, 5);
    assertAsPyTorchComputesIt("QOperator CNN, opset " + opset, "cnn", model, ACTIVATIONS, floats, x, ct, opset >= 13);
  }

  /** Scale and zero point of each quantized activation of the sequence network, in qoperator_reference.py's order. */
  private static final float[][] SEQUENCE = {
      {0.02f, 128}, {0.015f, 128}, {0.015f, 110}, {0.02f, 120}, {1 / 256f, 0}, {0.02f, 120}, {0.01f, 128}};

  /**
   * The other integer operators of ONNX Runtime's quantizer, and 8-bit Transpose, Reshape and Slice,
   * in a network over a sequence of positions (as a vision transformer's head sees them).
   */
  @Test
  void softmaxWhereReduceMeanAndMatMulPassTheGradientAsPyTorchFakeQuantizationDoes() throws Exception {
    Random random = new Random(29);
    TestGraph g = new TestGraph(18, 0, 3, 8, 8);
    String[] s = new String[SEQUENCE.length];
    String[] z = new String[SEQUENCE.length];
    for (int i = 0; i < SEQUENCE.length; i++) {
      s[i] = g.floats(new float[] {SEQUENCE[i][0]});
      z[i] = g.integers(UINT8, new long[] {(long) SEQUENCE[i][1]});
    }
    Int8Weights w = Int8Weights.perChannel(random, 0.5, 6, 3); // per output column, stored transposed below
    long[] columns = new long[18];
    float[] values = new float[18];
    for (int k = 0; k < 3; k++) {
      for (int n = 0; n < 6; n++) {
        columns[k * 6 + n] = w.levels()[n * 3 + k];
        values[k * 6 + n] = w.values()[n * 3 + k];
      }
    }
    boolean[] where = new boolean[16 * 6];
    float[] whereFloats = new float[where.length];
    for (int i = 0; i < where.length; i++) {
      where[i] = random.nextBoolean();
      whereFloats[i] = where[i] ? 1 : 0;
    }
    String xq = g.op("QuantizeLinear", List.of("x", s[0], z[0]));
    String pool = g.contribOp("QLinearAveragePool", List.of(xq, s[0], z[0], s[1], z[1]), "kernel_shape",
        new long[] {2, 2}, "strides", new long[] {2, 2});
    String leaky = g.contribOp("QLinearLeakyRelu", List.of(pool, s[1], z[1], s[2], z[2]), "alpha", 0.1f);
    String seq = g.op("Reshape", List.of(g.op("Transpose", List.of(leaky), "perm", new long[] {0, 2, 3, 1}),
        g.ints(0, 16, 3)));
    String mm = g.op("QLinearMatMul", List.of(seq, s[2], z[2], g.integers(INT8, columns, 3, 6), g.floats(w.scales(), 6),
        g.integers(INT8, new long[6], 6), s[3], z[3]));
    String soft = g.contribOp("QLinearSoftmax", List.of(mm, s[3], z[3], s[4], z[4]), "axis", -1L, "opset", 13L);
    String chosen = g.contribOp("QLinearWhere", List.of(g.bools(where, 16, 6), soft, s[4], z[4], mm, s[3], z[3], s[5],
        z[5]));
    String mean = g.contribOp("QLinearReduceMean", List.of(chosen, s[5], z[5], s[6], z[6]), "axes", new long[] {1},
        "keepdims", 0L);
    String head = g.op("Slice", List.of(mean, g.ints(0), g.ints(5), g.ints(1)));
    Path model = g.save(dir, "sequence", g.op("DequantizeLinear", List.of(head, s[6], z[6])));
    assertTrue(ModelGraph.read(model).note("quantization").contains("(the QOperator format: 1 QLinearAveragePool,"
        + " 1 QLinearLeakyRelu, 1 QLinearMatMul, 1 QLinearReduceMean, 1 QLinearSoftmax, 1 QLinearWhere, 1 Reshape"
        + " (8-bit), 1 Slice (8-bit), 1 Transpose (8-bit))"), ModelGraph.read(model).note("quantization"));
    Map<String, Tensor> floats = Map.of("w", new Tensor(new long[] {3, 6}, values),
        "where", new Tensor(new long[] {16, 6}, whereFloats));
    Tensor x = RandomTensors.gaussian(random, 1.2, 2, 3, 8, 8);
    Tensor ct = RandomTensors.gaussian(random, 1, 2, 5);
    // ONNX Runtime has no CPU kernel for QLinearReduceMean: it cannot run this file as written; netvis can.
    OrtException refused = assertThrows(OrtException.class, () -> AsWritten.scores(model, x));
    assertTrue(refused.getMessage().contains("QLinearReduceMean"), refused.getMessage());
    assertAsPyTorchComputesIt("QOperator sequence network", "sequence", model, SEQUENCE, floats, x, ct, false);
  }

  /**
   * netvis' scores and input gradient against {@code qoperator_reference.py}'s {@code network}: the
   * scores within one level of the output quantizer of float64 fake quantization and equal to the
   * gradient graph's logits, the gradient as close to float64 autograd as PyTorch's float32 is, within a
   * factor of two. {@code asWritten}: with ONNX Runtime's integer kernels the scores also equal
   * ONNX Runtime's run of the file as written (where the expansion fuses back).
   */
  private void assertAsPyTorchComputesIt(String what, String network, Path model, float[][] activations,
      Map<String, Tensor> floats, Tensor x, Tensor ct, boolean asWritten) throws Exception {
    float[] scores;
    float[] grad;
    try (Engine engine = GradientCheck.open(model, dir)) {
      scores = engine.scores(x).data();
      var vjp = engine.vjp(x, ct);
      grad = vjp.inputGradient().data();
      assertArrayEquals(scores, vjp.logits().data(), "the scores are the function the gradient graph differentiates");
      assertEquals("quantized operators as their definition, dequantize -> float32 operator -> quantize, not ONNX"
          + " Runtime's integer kernels", engine.forwardPass());
    }
    if (asWritten) {
      float[] file = AsWritten.scores(model, x);
      try (Engine engine = GradientCheck.open(model, dir, o -> o.withIntegerKernels(true))) {
        // ONNX Runtime fuses the expansion back into the integer kernels it runs the file with.
        assertArrayEquals(file, engine.scores(x).data(), "integer kernels: the file as written");
        assertEquals("quantized groups on ONNX Runtime's integer kernels (NETVIS_ORT_INTEGER_KERNELS=1)",
            engine.forwardPass());
      }
      int differ = 0;
      for (int i = 0; i < scores.length; i++) {
        differ += scores[i] == file[i] ? 0 : 1;
      }
      System.out.printf("%s: %d of %d scores differ from ONNX Runtime's integer kernels on this machine%n", what,
          differ, scores.length);
    }
    Npy.write(dir.resolve("x.npy"), x);
    Npy.write(dir.resolve("ct.npy"), ct);
    for (var f : floats.entrySet()) {
      Npy.write(dir.resolve(f.getKey() + ".npy"), f.getValue());
    }
    float[] q = new float[2 * activations.length];
    for (int i = 0; i < activations.length; i++) {
      q[2 * i] = activations[i][0];
      q[2 * i + 1] = activations[i][1];
    }
    Npy.write(dir.resolve("q.npy"), new Tensor(new long[] {q.length}, q));
    PythonReference.run(PythonReference.script("engine", "qoperator_reference.py"), 10, dir.toString(), network);

    float level = activations[activations.length - 1][0];
    double[] torchScores = Npy.read(dir.resolve("scores_f64.npy")).asDoubles();
    double[] torch64 = Npy.read(dir.resolve("grad_f64.npy")).asDoubles();
    double[] torch32 = Npy.read(dir.resolve("grad_f32.npy")).asDoubles();
    for (int i = 0; i < scores.length; i++) {
      assertTrue(Math.abs(scores[i] - torchScores[i]) <= level * 1.001, what + ", score " + i + ": netvis " + scores[i]
          + ", PyTorch float64 fake quantization " + torchScores[i]);
    }
    long zeros = Arrays.stream(torch64).filter(v -> v == 0).count();
    Compare.assertAsCloseToFloat64AsPyTorch(what + " (" + zeros + " of " + torch64.length + " input gradients zero)",
        grad, torch32, torch64, 2, 1e-6);
  }
}

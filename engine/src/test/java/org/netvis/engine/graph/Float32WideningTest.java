package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.OrtEnvironments;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.TestGraph;

/**
 * Files stored in float16 or bfloat16 run in float32: the expectation is the float32 model with the
 * same weight values (chosen exactly representable in 16 bits), built independently of the widening.
 */
class Float32WideningTest {
  private static final int HALF = TensorProto.DataType.FLOAT16_VALUE;
  private static final int BFLOAT = TensorProto.DataType.BFLOAT16_VALUE;

  @TempDir Path dir;

  /** Conv, Sigmoid, a Constant node's scale, Conv and a global pool: weights k / 64 with |k| < 128. */
  private static ModelProto float32Model() {
    TestGraph g = new TestGraph(17, 7, 3, 6, 6);
    Random r = new Random(3);
    String c1 = g.op("Conv", List.of("x", g.floats(sixtyFourths(r, 4 * 3 * 3 * 3), 4, 3, 3, 3),
        g.floats(sixtyFourths(r, 4), 4)), "pads", new long[] {1, 1, 1, 1});
    String s = g.op("Sigmoid", List.of(c1));
    String scale = g.op("Constant", List.of(), "value", TensorProtos.floats("scale", new long[] {1, 4, 1, 1},
        sixtyFourths(r, 4)));
    String scaled = g.op("Mul", List.of(s, scale));
    String c2 = g.op("Conv", List.of(scaled, g.floats(sixtyFourths(r, 5 * 4 * 3 * 3), 5, 4, 3, 3)));
    return g.model(g.op("GlobalAveragePool", List.of(c2)), 5);
  }

  private static float[] sixtyFourths(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (r.nextInt(255) - 127) / 64f;
    }
    return v;
  }

  /** A float32 value known to be exact in 16 bits, as its 16-bit word (the test's own encoder). */
  private static int sixteenBits(float v, int type) {
    int bits = Float.floatToIntBits(v);
    if (type == BFLOAT) {
      assertEquals(0, bits & 0xffff, "not exact in bfloat16: " + v);
      return bits >>> 16;
    }
    if (v == 0) {
      return (bits >>> 16) & 0x8000;
    }
    int exponent = ((bits >>> 23) & 0xff) - 127;
    assertTrue(exponent >= -14 && exponent <= 15 && (bits & 0x1fff) == 0, "not exact in float16: " + v);
    return ((bits >>> 16) & 0x8000) | ((exponent + 15) << 10) | ((bits >>> 13) & 0x3ff);
  }

  /** The tensor re-encoded in 16 bits: float16 as raw_data, bfloat16 in int32_data (both forms the spec allows). */
  private static TensorProto sixteenBit(TensorProto t, int type) {
    float[] v = TensorProtos.toFloats(t);
    TensorProto.Builder b = t.toBuilder().clearRawData().clearFloatData().setDataType(type);
    if (type == HALF) {
      ByteBuffer raw = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (float f : v) {
        raw.putShort((short) sixteenBits(f, type));
      }
      return b.setRawData(ByteString.copyFrom(raw.array())).build();
    }
    for (float f : v) {
      b.addInt32Data(sixteenBits(f, type));
    }
    return b.build();
  }

  private static ValueInfoProto typed(ValueInfoProto v, int type) {
    return v.toBuilder().setType(v.getType().toBuilder().setTensorType(v.getType().getTensorType().toBuilder()
        .setElemType(type))).build();
  }

  /**
   * The model as a float16 converter leaves it: 16-bit weights and Constant values, and either
   * float32 inputs and outputs behind Casts ({@code keepFloat32Io}) or 16-bit ones.
   */
  private static ModelProto sixteenBitModel(ModelProto model, int type, boolean keepFloat32Io) {
    GraphProto graph = model.getGraph();
    GraphProto.Builder g = graph.toBuilder().clearNode().clearInitializer();
    graph.getInitializerList().forEach(t -> g.addInitializer(sixteenBit(t, type)));
    if (keepFloat32Io) {
      g.addNode(NodeProto.newBuilder().setOpType("Cast").setName("to_16").addInput("x").addOutput("x16")
          .addAttribute(Attributes.of("to", (long) type)));
    } else {
      g.setInput(0, typed(graph.getInput(0), type)).setOutput(0, typed(graph.getOutput(0), type));
    }
    for (NodeProto n : graph.getNodeList()) {
      NodeProto.Builder b = n.toBuilder();
      for (int i = 0; i < b.getInputCount(); i++) {
        if (keepFloat32Io && b.getInput(i).equals("x")) {
          b.setInput(i, "x16");
        }
      }
      for (int i = 0; i < b.getOutputCount(); i++) {
        if (keepFloat32Io && b.getOutput(i).equals("logits")) {
          b.setOutput(i, "logits16");
        }
      }
      for (int i = 0; i < b.getAttributeCount(); i++) {
        if (b.getAttribute(i).hasT()) {
          b.setAttribute(i, b.getAttribute(i).toBuilder().setT(sixteenBit(b.getAttribute(i).getT(), type)));
        }
      }
      g.addNode(b);
    }
    if (keepFloat32Io) {
      g.addNode(NodeProto.newBuilder().setOpType("Cast").setName("to_32").addInput("logits16").addOutput("logits")
          .addAttribute(Attributes.of("to", (long) TensorProto.DataType.FLOAT_VALUE)));
    }
    return model.toBuilder().setGraph(g).build();
  }

  private static Tensor image(long seed) {
    return RandomTensors.gaussian(new Random(seed), 1, 2, 3, 6, 6);
  }

  @Test
  void sixteenBitFilesGiveTheGradientsOfTheFloat32ModelWithTheSameWeights() throws Exception {
    ModelProto reference = float32Model();
    Path referenceFile = dir.resolve("float32.onnx");
    Files.write(referenceFile, reference.toByteArray());
    assertNull(ModelGraph.of(reference, "float32.onnx").note("precision"));
    assertTrue(ModelGraph.of(reference, "float32.onnx").asWritten());
    Tensor x = image(11);
    Tensor cotangent = Tensor.zeros(2, 5);
    for (int i = 0; i < cotangent.size(); i++) {
      cotangent.data()[i] = i - 4.5f;
    }
    try (Engine expected = GradientCheck.open(referenceFile, dir)) {
      VjpResult want = expected.vjp(x, cotangent);
      float gradientScale = 0;
      for (float v : want.inputGradient().data()) {
        gradientScale = Math.max(gradientScale, Math.abs(v));
      }
      assertTrue(gradientScale > 1e-3, "the reference gradient is not zero: " + gradientScale);
      for (int type : new int[] {HALF, BFLOAT}) {
        for (boolean keepFloat32Io : new boolean[] {true, false}) {
          String name = (type == HALF ? "float16" : "bfloat16") + (keepFloat32Io ? "_io32" : "");
          ModelProto file = sixteenBitModel(reference, type, keepFloat32Io);
          ModelGraph graph = ModelGraph.of(file, name);
          assertTrue(graph.note("precision").startsWith("the file computes in " + (type == HALF ? "float16" : "bfloat16")),
              graph.note("precision"));
          assertTrue(graph.note("precision").contains("(4 weight and constant tensors and " + (keepFloat32Io ? 1 : 0)
              + " Cast nodes widened)"), graph.note("precision"));
          Path path = dir.resolve(name + ".onnx");
          Files.write(path, file.toByteArray());
          try (Engine engine = GradientCheck.open(path, dir)) {
            VjpResult got = engine.vjp(x, cotangent);
            assertArrayEquals(want.logits().data(), got.logits().data(), 1e-6f, name);
            assertArrayEquals(want.inputGradient().data(), got.inputGradient().data(), 1e-6f * gradientScale, name);
          }
        }
      }
    }
  }

  /** The widened model is the file's function: ONNX Runtime running the float16 file agrees to float16's rounding. */
  @Test
  void widenedScoresMatchTheFileRunInFloat16ToItsRounding() throws Exception {
    ModelProto file = sixteenBitModel(float32Model(), HALF, true);
    Path path = dir.resolve("half.onnx");
    Files.write(path, file.toByteArray());
    Tensor x = image(5);
    OrtEnvironment env = OrtEnvironments.get();
    float[] asWritten;
    try (OrtSession session = env.createSession(file.toByteArray(), new OrtSession.SessionOptions());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data()), x.shape());
        OrtSession.Result out = session.run(Map.of("x", in))) {
      float[][] all = (float[][]) out.get(0).getValue();
      asWritten = new float[all.length * all[0].length];
      for (int i = 0; i < all.length; i++) {
        System.arraycopy(all[i], 0, asWritten, i * all[0].length, all[0].length);
      }
    }
    try (Engine engine = GradientCheck.open(path, dir)) {
      float[] widened = engine.scores(x).data();
      float scale = 0;
      for (float v : widened) {
        scale = Math.max(scale, Math.abs(v));
      }
      // float16 keeps 11 significant bits: a few units of 2^-11 of the scores' size.
      assertArrayEquals(widened, asWritten, 8 * scale / 2048, "float16 file against its float32 widening");
      assertNotEquals(0f, scale);
    }
  }

  /** Every float16 and bfloat16 word decodes as ONNX Runtime's Cast decodes it, subnormals, infinities and NaN included. */
  @Test
  void everySixteenBitWordDecodesAsOnnxRuntimeCastsIt() throws Exception {
    for (int type : new int[] {HALF, BFLOAT}) {
      ByteBuffer raw = ByteBuffer.allocate(2 << 16).order(ByteOrder.LITTLE_ENDIAN);
      for (int w = 0; w < 1 << 16; w++) {
        raw.putShort((short) w);
      }
      TensorProto words = TensorProto.newBuilder().setName("words").setDataType(type).addDims(1 << 16)
          .setRawData(ByteString.copyFrom(raw.array())).build();
      GraphProto g = GraphProto.newBuilder().setName("cast").addInitializer(words)
          .addNode(NodeProto.newBuilder().setOpType("Cast").addInput("words").addOutput("wide")
              .addAttribute(Attributes.of("to", (long) TensorProto.DataType.FLOAT_VALUE)))
          .addOutput(TestGraph.value("wide", 1 << 16)).build();
      ModelProto m = ModelProto.newBuilder().setIrVersion(8).setGraph(g)
          .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).build();
      float[] ort;
      try (OrtSession session = OrtEnvironments.get().createSession(m.toByteArray(), new OrtSession.SessionOptions());
          OrtSession.Result out = session.run(Map.of())) {
        ort = (float[]) out.get(0).getValue();
      }
      float[] ours = TensorProtos.toFloats(words);
      for (int w = 0; w < 1 << 16; w++) {
        if (Float.isNaN(ort[w])) {
          assertTrue(Float.isNaN(ours[w]), "word " + Integer.toHexString(w));
        } else {
          assertEquals(Float.floatToIntBits(ort[w]), Float.floatToIntBits(ours[w]),
              (type == HALF ? "float16" : "bfloat16") + " word 0x" + Integer.toHexString(w));
        }
      }
    }
  }

  /** A double detour on the gradient path would cut the gradient to zero; it is refused by its node instead. */
  @Test
  void anImageDependentDoubleOnTheGradientPathIsRefusedByName() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 3, 3);
    String wide = g.op("Cast", List.of("x"), "to", (long) TensorProto.DataType.DOUBLE_VALUE);
    String back = g.op("Cast", List.of(g.op("Sqrt", List.of(g.op("Abs", List.of(wide))))),
        "to", (long) TensorProto.DataType.FLOAT_VALUE);
    try (Engine engine = GradientCheck.open(g.save(dir, "double", back), dir)) {
      GraphBuildException e = assertThrows(GraphBuildException.class,
          () -> engine.vjp(Tensor.zeros(1, 2, 3, 3), Tensor.zeros(1, 18)));
      assertTrue(e.getMessage().contains("Cast node 'Cast_node_4' reads 'sqrt_2', a double tensor that depends on"
          + " the image"), e.getMessage());
    }
  }
}

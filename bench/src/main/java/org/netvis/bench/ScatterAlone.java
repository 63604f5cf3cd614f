package org.netvis.bench;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.netvis.engine.graph.Attributes;
import org.netvis.engine.graph.TensorProtos;

/**
 * The max-pool gradient's scatter alone (SqueezeNet's first pool at batch 8: 512 x 3,025 window
 * gradients added into 512 x 12,321 planes of zeros), timed by ONNX Runtime's profiler as the engine
 * runs its sessions (intra-op threads sleeping between sections): the zeros from a broadcast Mul,
 * which the scatter may add into in place, against zeros from a graph input, which it must copy
 * into a buffer of its own first; each warm, and after a 256 MB element-wise sweep that pushes its
 * inputs out of the caches as the rest of a gradient graph does. Prints the scatter's median time and
 * the part of it outside parallel sections. Usage: ScatterAlone (no arguments).
 */
public final class ScatterAlone {
  private static final int ROWS = 512;
  private static final int PLANE = 12321;
  private static final int WINDOWS = 3025;
  private static final int SWEEP = 64 << 20;

  public static void main(String[] args) throws Exception {
    OrtEnvironment env = org.netvis.engine.runtime.OrtEnvironments.get();
    Map<String, OnnxTensor> inputs = inputs(env);
    try {
      for (boolean cold : new boolean[] {false, true}) {
        for (boolean inPlace : new boolean[] {true, false}) {
          ProfileVjp.Profile p = profile(env, graph(inPlace, cold), inputs);
          System.out.printf("%-5s zeros %-28s scatter %6.2f ms, %5.2f ms of it outside parallel sections%n",
              cold ? "cold" : "warm", inPlace ? "from a Mul (in place)" : "from a graph input (copied)",
              p.byOp().get("ScatterElements"), p.singleByOp().getOrDefault("ScatterElements", 0.0));
        }
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private static ProfileVjp.Profile profile(OrtEnvironment env, byte[] graph, Map<String, OnnxTensor> inputs)
      throws Exception {
    Path dir = Files.createTempDirectory("netvis-scatter");
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.addConfigEntry("session.intra_op.allow_spinning", "0");
      so.enableProfiling(dir.resolve("session").toString());
      try (OrtSession s = env.createSession(graph, so)) {
        Map<String, OnnxTensor> feed = new HashMap<>();
        s.getInputNames().forEach(name -> feed.put(name, inputs.get(name)));
        for (int i = 0; i < ProfileVjp.WARMUP + ProfileVjp.RUNS; i++) {
          try (OrtSession.Result r = s.run(feed)) {
            r.size();
          }
        }
        return ProfileVjp.parse(Path.of(s.endProfiling()));
      }
    }
  }

  /** Window gradients, a 3x3/2 pool's winners (a random tap of each window), and the other inputs. */
  private static Map<String, OnnxTensor> inputs(OrtEnvironment env) throws Exception {
    Random random = new Random(1);
    int side = 55;
    int width = 111;
    long[] winners = new long[ROWS * WINDOWS];
    float[] updates = new float[ROWS * WINDOWS];
    for (int r = 0; r < ROWS; r++) {
      for (int i = 0; i < side; i++) {
        for (int j = 0; j < side; j++) {
          int k = r * WINDOWS + i * side + j;
          winners[k] = (2L * i + random.nextInt(3)) * width + 2L * j + random.nextInt(3);
          updates[k] = random.nextFloat();
        }
      }
    }
    Map<String, OnnxTensor> in = new HashMap<>();
    in.put("updates", OnnxTensor.createTensor(env, FloatBuffer.wrap(updates), new long[] {ROWS, WINDOWS}));
    in.put("indices", OnnxTensor.createTensor(env, LongBuffer.wrap(winners), new long[] {ROWS, WINDOWS}));
    in.put("zero_column", OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[ROWS]), new long[] {ROWS, 1}));
    in.put("zeros", OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[ROWS * PLANE]), new long[] {ROWS, PLANE}));
    in.put("sweep", OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[SWEEP]), new long[] {SWEEP}));
    return in;
  }

  /** The scatter's graph; its output summed, so that it is an inner tensor as in a gradient graph. */
  private static byte[] graph(boolean inPlace, boolean cold) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("scatter");
    g.addInput(value("updates", TensorProto.DataType.FLOAT, ROWS, WINDOWS));
    g.addInput(value("indices", TensorProto.DataType.INT64, ROWS, WINDOWS));
    g.addInitializer(TensorProtos.floats("ones_row", new long[] {1, PLANE}, ones(PLANE)));
    g.addInitializer(TensorProtos.floats("zero", new long[0], new float[] {0f}));
    String updates = "updates";
    if (cold) {
      // Read and write 256 MB first; the scatter waits for it through an added zero.
      g.addInput(value("sweep", TensorProto.DataType.FLOAT, SWEEP));
      g.addNode(node("Mul", List.of("sweep", "zero"), "swept"));
      g.addNode(node("ReduceMax", List.of("swept"), "swept_max", Attributes.of("keepdims", 0L)));
      g.addNode(node("Add", List.of("updates", "swept_max"), "updates_after_sweep"));
      updates = "updates_after_sweep";
    }
    String zeros = "zeros";
    if (inPlace) {
      g.addInput(value("zero_column", TensorProto.DataType.FLOAT, ROWS, 1));
      g.addNode(node("Mul", List.of("zero_column", "ones_row"), "zeros_made"));
      zeros = "zeros_made";
    } else {
      g.addInput(value("zeros", TensorProto.DataType.FLOAT, ROWS, PLANE));
    }
    g.addNode(node("ScatterElements", List.of(zeros, "indices", updates), "scattered", Attributes.of("axis", 1L),
        Attributes.of("reduction", "add")));
    g.addNode(node("ReduceSum", List.of("scattered"), "total", Attributes.of("keepdims", 0L)));
    g.addOutput(value("total", TensorProto.DataType.FLOAT));
    return ModelProto.newBuilder().setIrVersion(8).setGraph(g)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build().toByteArray();
  }

  private static float[] ones(int n) {
    float[] v = new float[n];
    java.util.Arrays.fill(v, 1f);
    return v;
  }

  private static NodeProto node(String op, List<String> inputs, String output, AttributeProto... attributes) {
    return NodeProto.newBuilder().setOpType(op).setName(output).addAllInput(inputs).addOutput(output)
        .addAllAttribute(new ArrayList<>(List.of(attributes))).build();
  }

  private static ValueInfoProto value(String name, TensorProto.DataType type, long... shape) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : shape) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(s))).build();
  }
}

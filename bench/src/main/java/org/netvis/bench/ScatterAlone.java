package org.netvis.bench;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
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
 * the part of it outside parallel sections. Usage: ScatterAlone [PLANES WIDTH PAD] (default 512 111 0:
 * SqueezeNet's first pool at batch 8; 768 112 1 is ShuffleNetV2's at batch 32, 2048 112 1 ResNet-18's).
 */
public final class ScatterAlone {
  /** -Dscale=1e-40: window gradients of subnormal size. */
  private static final float SCALE = Float.parseFloat(System.getProperty("scale", "1"));
  private static final int SWEEP = 64 << 20;

  /** A 3x3/2 max pool over {@code planes} planes of width x width with {@code pad} on each side. */
  private record Pool(int planes, int width, int pad) {
    int side() {
      return (width + 2 * pad - 3) / 2 + 1;
    }

    int plane() {
      return width * width;
    }

    int windows() {
      return side() * side();
    }
  }

  public static void main(String[] args) throws Exception {
    Pool pool = args.length == 3
        ? new Pool(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]))
        : new Pool(512, 111, 0);
    System.out.printf("%d planes of %d x %d, %d x %d windows 3x3/2 (pad %d)%n", pool.planes(), pool.width(),
        pool.width(), pool.side(), pool.side(), pool.pad());
    OrtEnvironment env = org.netvis.engine.runtime.OrtEnvironments.get();
    Map<String, OnnxTensor> inputs = inputs(env, pool);
    try {
      for (boolean cold : new boolean[] {false, true}) {
        for (boolean inPlace : new boolean[] {true, false}) {
          ProfileVjp.Profile p = SmallGraphs.profile(env, graph(pool, inPlace, cold), inputs);
          System.out.printf("%-5s zeros %-28s scatter %6.2f ms, %5.2f ms of it outside parallel sections%n",
              cold ? "cold" : "warm", inPlace ? "from a Mul (in place)" : "from a graph input (copied)",
              p.byOp().get("ScatterElements"), p.singleByOp().getOrDefault("ScatterElements", 0.0));
        }
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  /** Window gradients, a 3x3/2 pool's winners (a random tap of each window), and the other inputs. */
  private static Map<String, OnnxTensor> inputs(OrtEnvironment env, Pool pool) throws Exception {
    Random random = new Random(1);
    int side = pool.side();
    int width = pool.width();
    int rows = pool.planes();
    int windows = pool.windows();
    long[] winners = new long[rows * windows];
    float[] updates = new float[rows * windows];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < side; i++) {
        for (int j = 0; j < side; j++) {
          int k = r * windows + i * side + j;
          long row = Math.max(0, Math.min(width - 1, 2L * i - pool.pad() + random.nextInt(3)));
          long column = Math.max(0, Math.min(width - 1, 2L * j - pool.pad() + random.nextInt(3)));
          winners[k] = row * width + column;
          updates[k] = random.nextFloat() * SCALE;
        }
      }
    }
    Map<String, OnnxTensor> in = new HashMap<>();
    in.put("updates", OnnxTensor.createTensor(env, FloatBuffer.wrap(updates), new long[] {rows, windows}));
    in.put("indices", OnnxTensor.createTensor(env, LongBuffer.wrap(winners), new long[] {rows, windows}));
    in.put("zero_column", OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[rows]), new long[] {rows, 1}));
    in.put("zeros", OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[rows * pool.plane()]), new long[] {rows, pool.plane()}));
    in.put("sweep", OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[SWEEP]), new long[] {SWEEP}));
    return in;
  }

  /** The scatter's graph; its output summed, so that it is an inner tensor as in a gradient graph. */
  private static byte[] graph(Pool pool, boolean inPlace, boolean cold) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("scatter");
    g.addInput(SmallGraphs.value("updates", TensorProto.DataType.FLOAT, pool.planes(), pool.windows()));
    g.addInput(SmallGraphs.value("indices", TensorProto.DataType.INT64, pool.planes(), pool.windows()));
    g.addInitializer(TensorProtos.floats("ones_row", new long[] {1, pool.plane()}, ones(pool.plane())));
    g.addInitializer(TensorProtos.floats("zero", new long[0], new float[] {0f}));
    String updates = "updates";
    if (cold) {
      // Read and write 256 MB first; the scatter waits for it through an added zero.
      g.addInput(SmallGraphs.value("sweep", TensorProto.DataType.FLOAT, SWEEP));
      g.addNode(node("Mul", List.of("sweep", "zero"), "swept"));
      g.addNode(node("ReduceMax", List.of("swept"), "swept_max", Attributes.of("keepdims", 0L)));
      g.addNode(node("Add", List.of("updates", "swept_max"), "updates_after_sweep"));
      updates = "updates_after_sweep";
    }
    String zeros = "zeros";
    if (inPlace) {
      g.addInput(SmallGraphs.value("zero_column", TensorProto.DataType.FLOAT, pool.planes(), 1));
      g.addNode(node("Mul", List.of("zero_column", "ones_row"), "zeros_made"));
      zeros = "zeros_made";
    } else {
      g.addInput(SmallGraphs.value("zeros", TensorProto.DataType.FLOAT, pool.planes(), pool.plane()));
    }
    g.addNode(node("ScatterElements", List.of(zeros, "indices", updates), "scattered", Attributes.of("axis", 1L),
        Attributes.of("reduction", "add")));
    g.addNode(node("ReduceSum", List.of("scattered"), "total", Attributes.of("keepdims", 0L)));
    g.addOutput(SmallGraphs.value("total", TensorProto.DataType.FLOAT));
    return SmallGraphs.model(g);
  }

  private static float[] ones(int n) {
    float[] v = new float[n];
    java.util.Arrays.fill(v, 1f);
    return v;
  }

  private static NodeProto node(String op, List<String> inputs, String output, AttributeProto... attributes) {
    return SmallGraphs.node(op, inputs, List.of(output), attributes);
  }
}

package org.netvis.bench;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.netvis.engine.graph.Attributes;
import org.netvis.engine.graph.TensorProtos;

/**
 * The winners of SqueezeNet's first max pool (3x3/2 over 64 x 111 x 111 ReLU outputs of a 3x3/2
 * convolution, as in its gradient graph) found two ways: ONNX Runtime's MaxPool with an Indices output,
 * against plain MaxPools only. For the second, with y the window's maximum, A_r the maximum of the
 * window's rows 0..r and D_rc that of its rows 0..r and columns 0..c (each a plain pool whose windows
 * start where y's do), the first maximum in row-major order lies R = [A_0 < y] + [A_1 < y] rows and
 * S - 2R columns into its window, S = [D_00 < y] + [D_01 < y] + [A_0 < y]([D_10 < y] + [D_11 < y]) +
 * [A_1 < y]([D_20 < y] + [D_21 < y]). Checks that both give the same in-plane indices (many windows
 * are all zeros, ties that the first-index rule decides), then times the two graphs alternating and
 * prints ONNX Runtime's kernel time per operator for each. Usage: PoolWinners [batch] (default 8).
 * Built into the gradient builder once and reverted: faster at batch 1, slower at batch 8 on two cores
 * (bench/README.md, twenty-fifth session).
 */
public final class PoolWinners {
  private static final int CHANNELS = 64;
  private static final int SIDE = 111;
  private static final int WINDOWS = 55;
  /** The plain pools' grid: one more row and column than the windows, cropped at the end. */
  private static final int GRID = 56;

  public static void main(String[] args) throws Exception {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    OrtEnvironment env = org.netvis.engine.runtime.OrtEnvironments.get();
    float[] image = Gaussian.values(batch * 3 * 224 * 224, 0);
    try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(image), new long[] {batch, 3, 224, 224})) {
      Map<String, OnnxTensor> feed = Map.of("image", input);
      byte[] kernel = graph(batch, false);
      byte[] plain = graph(batch, true);
      long[] a = winners(env, kernel, feed);
      long[] b = winners(env, plain, feed);
      int plane = SIDE * SIDE;
      int differ = 0;
      for (int i = 0; i < a.length; i++) {
        differ += a[i] % plane == b[i] ? 0 : 1;
      }
      System.out.printf("batch %d: %d windows, %d with different winners%n", batch, a.length, differ);
      time(env, kernel, plain, feed);
      for (boolean variant : new boolean[] {false, true}) {
        ProfileVjp.Profile p = SmallGraphs.profile(env, variant ? plain : kernel, feed);
        System.out.printf("%s: kernel time %.2f ms per run%n", variant ? "plain pools" : "MaxPool with Indices",
            p.total());
        p.byOp().entrySet().stream().sorted((x, y) -> Double.compare(y.getValue(), x.getValue()))
            .forEach(e -> System.out.printf("  %-18s %7.2f ms%n", e.getKey(), e.getValue()));
      }
    }
  }

  private static long[] winners(OrtEnvironment env, byte[] graph, Map<String, OnnxTensor> feed) throws Exception {
    try (OrtSession s = env.createSession(graph, new OrtSession.SessionOptions());
        OrtSession.Result r = s.run(feed, Set.of("winners"))) {
      OnnxTensor t = (OnnxTensor) r.get(0);
      long[] out = new long[(int) t.getInfo().getNumElements()];
      t.getLongBuffer().get(out);
      return out;
    }
  }

  /** Medians of 30 alternating runs of each graph, whole-run wall time, the winners reduced to one number. */
  private static void time(OrtEnvironment env, byte[] kernel, byte[] plain, Map<String, OnnxTensor> feed)
      throws Exception {
    try (OrtSession.SessionOptions so = SmallGraphs.engineLikeOptions()) {
      try (OrtSession k = env.createSession(kernel, so); OrtSession p = env.createSession(plain, so)) {
        double[][] ms = new double[2][30];
        for (int i = -5; i < 30; i++) {
          for (int v = 0; v < 2; v++) {
            long t0 = System.nanoTime();
            try (OrtSession.Result r = (v == 0 ? k : p).run(feed, Set.of("checksum"))) {
              r.size();
            }
            if (i >= 0) {
              ms[v][i] = (System.nanoTime() - t0) / 1e6;
            }
          }
        }
        Arrays.sort(ms[0]);
        Arrays.sort(ms[1]);
        System.out.printf("whole graph (the convolution included), median of 30: MaxPool with Indices %.2f ms, "
            + "plain pools %.2f ms%n", ms[0][15], ms[1][15]);
      }
    }
  }

  private static byte[] graph(int batch, boolean plainPools) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("pool-winners");
    g.addInput(SmallGraphs.value("image", TensorProto.DataType.FLOAT, batch, 3, 224, 224));
    float[] w = Gaussian.values(CHANNELS * 27, 2);
    for (int i = 0; i < w.length; i++) {
      w[i] *= 0.3f;
    }
    float[] bias = new float[CHANNELS];
    Arrays.fill(bias, -0.3f); // many windows all zero after the ReLU: ties
    g.addInitializer(TensorProtos.floats("w", new long[] {CHANNELS, 3, 3, 3}, w));
    g.addInitializer(TensorProtos.floats("b", new long[] {CHANNELS}, bias));
    g.addNode(SmallGraphs.node("Conv", List.of("image", "w", "b"), List.of("conv"),
        Attributes.of("strides", new long[] {2, 2})));
    g.addNode(SmallGraphs.node("Relu", List.of("conv"), List.of("x")));
    if (!plainPools) {
      g.addNode(SmallGraphs.node("MaxPool", List.of("x"), List.of("y", "winners"),
          Attributes.of("kernel_shape", new long[] {3, 3}), Attributes.of("strides", new long[] {2, 2}),
          Attributes.of("ceil_mode", 1L)));
    } else {
      String y = pool(g, 3, 3);
      String a0 = below(g, pool(g, 1, 3), y);
      String a1 = below(g, pool(g, 2, 3), y);
      String row0 = add(g, below(g, pool(g, 1, 1), y), below(g, pool(g, 1, 2), y));
      String row1 = mul(g, a0, add(g, below(g, pool(g, 2, 1), y), below(g, pool(g, 2, 2), y)));
      String row2 = mul(g, a1, add(g, below(g, pool(g, 3, 1), y), below(g, pool(g, 3, 2), y)));
      String s = add(g, add(g, row0, row1), row2);
      float[] base = new float[GRID * GRID];
      for (int i = 0; i < GRID; i++) {
        for (int j = 0; j < GRID; j++) {
          base[i * GRID + j] = 2 * i * SIDE + 2 * j;
        }
      }
      g.addInitializer(TensorProtos.floats("base", new long[] {1, 1, GRID, GRID}, base));
      g.addInitializer(TensorProtos.floats("row_step", new long[0], new float[] {SIDE - 2}));
      String rows = mul(g, add(g, a0, a1), "row_step");
      String index = add(g, add(g, "base", rows), s);
      g.addInitializer(TensorProtos.longs("crop_start", new long[] {2}, new long[] {0, 0}));
      g.addInitializer(TensorProtos.longs("crop_end", new long[] {2}, new long[] {WINDOWS, WINDOWS}));
      g.addInitializer(TensorProtos.longs("crop_axes", new long[] {2}, new long[] {2, 3}));
      g.addNode(SmallGraphs.node("Slice", List.of(index, "crop_start", "crop_end", "crop_axes"), List.of("cropped")));
      g.addNode(SmallGraphs.node("Cast", List.of("cropped"), List.of("winners"),
          Attributes.of("to", (long) TensorProto.DataType.INT64_VALUE)));
    }
    g.addNode(SmallGraphs.node("ReduceMax", List.of("winners"), List.of("checksum"), Attributes.of("keepdims", 0L)));
    g.addOutput(SmallGraphs.value("winners", TensorProto.DataType.INT64, batch, CHANNELS, WINDOWS, WINDOWS));
    g.addOutput(SmallGraphs.value("checksum", TensorProto.DataType.INT64));
    return SmallGraphs.model(g);
  }

  /** A plain kh x kw pool whose windows start where the 3x3/2 pool's do, on the 56 x 56 grid. */
  private static String pool(GraphProto.Builder g, long kh, long kw) {
    String name = "pool_" + kh + "x" + kw;
    g.addNode(SmallGraphs.node("MaxPool", List.of("x"), List.of(name),
        Attributes.of("kernel_shape", new long[] {kh, kw}),
        Attributes.of("strides", new long[] {2, 2}), Attributes.of("pads", new long[] {0, 0, kh - 1, kw - 1})));
    return name;
  }

  /** [a < y] as 0 or 1. */
  private static String below(GraphProto.Builder g, String a, String y) {
    g.addNode(SmallGraphs.node("Less", List.of(a, y), List.of(a + "_below")));
    g.addNode(SmallGraphs.node("Cast", List.of(a + "_below"), List.of(a + "_below_f"),
        Attributes.of("to", (long) TensorProto.DataType.FLOAT_VALUE)));
    return a + "_below_f";
  }

  private static String add(GraphProto.Builder g, String a, String b) {
    String out = "add_" + g.getNodeCount();
    g.addNode(SmallGraphs.node("Add", List.of(a, b), List.of(out)));
    return out;
  }

  private static String mul(GraphProto.Builder g, String a, String b) {
    String out = "mul_" + g.getNodeCount();
    g.addNode(SmallGraphs.node("Mul", List.of(a, b), List.of(out)));
    return out;
  }
}

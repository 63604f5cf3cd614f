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
 * prints ONNX Runtime's kernel time per operator for each. Usage: PoolWinners [batch] (default 8); the
 * second construction with -Dvariant: plain (the above, default), taps (each window's nine taps from a
 * one-hot convolution of each plane, the first maximum from ArgMax) or nchwc (the plain pools with each
 * [partial == y] from depthwise 1x1 convolutions, Adds and Muls, which ONNX Runtime keeps in its
 * blocked layout, so that only the offsets leave it; bench/README.md, fiftieth session) or separable
 * (rows first, then columns: six pools instead of nine; fifty-third session). -Dbaseline=plain times
 * the plain construction first instead of MaxPool with Indices; -Dmask=hardsigmoid forms each [a < y]
 * as the gradient builder does instead of with Less and a Cast.
 * The plain construction is the builder's since the forty-fourth session (bench/README.md; built once
 * before and reverted in the twenty-fifth: faster at batch 1, slower at batch 8 on a Zen 3).
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
      boolean plainFirst = System.getProperty("baseline", "indices").equals("plain");
      String first = plainFirst ? "plain" : "MaxPool with Indices";
      byte[] kernel = graph(batch, plainFirst);
      String variant = System.getProperty("variant", "plain");
      byte[] second = switch (variant) {
        case "plain" -> graph(batch, true);
        case "taps" -> tapGraph(batch);
        case "nchwc" -> blockedGraph(batch);
        case "separable" -> separableGraph(batch);
        default -> throw new IllegalArgumentException("-Dvariant=" + variant
            + ": expected plain, taps, nchwc or separable");
      };
      long[] a = winners(env, kernel, feed);
      long[] b = winners(env, second, feed);
      int plane = SIDE * SIDE;
      int differ = 0;
      for (int i = 0; i < a.length; i++) {
        differ += a[i] % plane == b[i] ? 0 : 1;
      }
      System.out.printf("batch %d: %d windows, %d with different winners%n", batch, a.length, differ);
      time(env, kernel, second, feed, first, variant);
      for (boolean isSecond : new boolean[] {false, true}) {
        ProfileVjp.Profile p = SmallGraphs.profile(env, isSecond ? second : kernel, feed);
        System.out.printf("%s: kernel time %.2f ms per run%n", isSecond ? variant : first,
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
  private static void time(OrtEnvironment env, byte[] kernel, byte[] second, Map<String, OnnxTensor> feed,
      String first, String variant) throws Exception {
    try (OrtSession.SessionOptions so = SmallGraphs.engineLikeOptions()) {
      try (OrtSession k = env.createSession(kernel, so); OrtSession p = env.createSession(second, so)) {
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
        System.out.printf("whole graph (the convolution included), median of 30: %s %.2f ms, "
            + "%s %.2f ms%n", first, ms[0][15], variant, ms[1][15]);
      }
    }
  }

  private static byte[] graph(int batch, boolean plainPools) {
    GraphProto.Builder g = pooledInput(batch, "pool-winners");
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
      g.addInitializer(TensorProtos.floats("row_step", new long[0], new float[] {SIDE - 2}));
      placeWinners(g, add(g, mul(g, add(g, a0, a1), "row_step"), s));
    }
    return withOutputs(g, batch);
  }

  /** The graph's input and x, the pool's input: the ReLU of a 3x3/2 convolution with 64 channels. */
  private static GraphProto.Builder pooledInput(int batch, String name) {
    GraphProto.Builder g = GraphProto.newBuilder().setName(name);
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
    return g;
  }

  /**
   * "winners": each window's offset into its window (on the plain pools' 56 x 56 grid, as floats) plus
   * the window's origin in the plane, cropped to the 55 x 55 windows and cast to int64.
   */
  private static void placeWinners(GraphProto.Builder g, String offset) {
    float[] base = new float[GRID * GRID];
    for (int i = 0; i < GRID; i++) {
      for (int j = 0; j < GRID; j++) {
        base[i * GRID + j] = 2 * i * SIDE + 2 * j;
      }
    }
    g.addInitializer(TensorProtos.floats("base", new long[] {1, 1, GRID, GRID}, base));
    String index = add(g, "base", offset);
    g.addInitializer(TensorProtos.longs("crop_start", new long[] {2}, new long[] {0, 0}));
    g.addInitializer(TensorProtos.longs("crop_end", new long[] {2}, new long[] {WINDOWS, WINDOWS}));
    g.addInitializer(TensorProtos.longs("crop_axes", new long[] {2}, new long[] {2, 3}));
    g.addNode(SmallGraphs.node("Slice", List.of(index, "crop_start", "crop_end", "crop_axes"), List.of("cropped")));
    g.addNode(SmallGraphs.node("Cast", List.of("cropped"), List.of("winners"),
        Attributes.of("to", (long) TensorProto.DataType.INT64_VALUE)));
  }

  /** The winners (int64 in-plane indices) as an output, and their maximum, which the timing fetches. */
  private static byte[] withOutputs(GraphProto.Builder g, int batch) {
    g.addNode(SmallGraphs.node("ReduceMax", List.of("winners"), List.of("checksum"), Attributes.of("keepdims", 0L)));
    g.addOutput(SmallGraphs.value("winners", TensorProto.DataType.INT64, batch, CHANNELS, WINDOWS, WINDOWS));
    g.addOutput(SmallGraphs.value("checksum", TensorProto.DataType.INT64));
    return SmallGraphs.model(g);
  }

  /** A per-channel affine map as a depthwise 1x1 convolution, which ONNX Runtime keeps in its blocked layout. */
  private static String affine(GraphProto.Builder g, String x, float scale, float shift) {
    String name = "affine_" + g.getNodeCount();
    float[] w = new float[CHANNELS];
    float[] b = new float[CHANNELS];
    Arrays.fill(w, scale);
    Arrays.fill(b, shift);
    g.addInitializer(TensorProtos.floats(name + "_w", new long[] {CHANNELS, 1, 1, 1}, w));
    g.addInitializer(TensorProtos.floats(name + "_b", new long[] {CHANNELS}, b));
    g.addNode(SmallGraphs.node("Conv", List.of(x, name + "_w", name + "_b"), List.of(name),
        Attributes.of("group", (long) CHANNELS), Attributes.of("kernel_shape", new long[] {1, 1})));
    return name;
  }

  /** [partial == y] as 1 or 0, in the blocked layout: relu(1 - 2^127 (2^127 (y - partial))). */
  private static String reaches(GraphProto.Builder g, String partial, String y) {
    String d = add(g, affine(g, partial, -1f, 0f), y);
    String t = affine(g, d, 0x1p127f, 0f);
    String r = "reach_" + g.getNodeCount();
    g.addNode(SmallGraphs.node("Relu", List.of(affine(g, t, -0x1p127f, 1f)), List.of(r)));
    return r;
  }

  /** The same winners with every step in ops ONNX Runtime keeps in NCHWc: one reorder at the end. */
  private static byte[] blockedGraph(int batch) {
    GraphProto.Builder g = pooledInput(batch, "pool-winners-nchwc");
    String y = pool(g, 3, 3);
    String qa0 = reaches(g, pool(g, 1, 3), y);
    String qa1 = reaches(g, pool(g, 2, 3), y);
    String p0 = add(g, reaches(g, pool(g, 1, 1), y), reaches(g, pool(g, 1, 2), y));
    String p1 = add(g, reaches(g, pool(g, 2, 1), y), reaches(g, pool(g, 2, 2), y));
    String p2 = add(g, reaches(g, pool(g, 3, 1), y), reaches(g, pool(g, 3, 2), y));
    // offset = 2W + 2 - W (qa0 + qa1) - (p0 + p1 + p2) + qa0 p1 + qa1 p2
    String m = add(g, mul(g, qa0, p1), mul(g, qa1, p2));
    String t1 = add(g, affine(g, add(g, add(g, p0, p1), p2), -1f, 2f * SIDE + 2), m);
    String offset = add(g, affine(g, add(g, qa0, qa1), -SIDE, 0f), t1);
    placeWinners(g, offset);
    return withOutputs(g, batch);
  }

  /**
   * Rows first: along every input row, the maximum of each window's three columns (m) and the column
   * of its first maximum (c = [h_0 < m] + [h_1 < m], h_k the maximum of the first k + 1 columns); down
   * the columns of m, the window's maximum y and its first row R = [v_0 < y] + [v_1 < y]; the column is
   * c in row 2i + R, picked arithmetically from three depthwise convolutions of c (its rows 2i, and
   * the differences to the next row plus W): offset = c_0 + [R >= 1] e_1 + [R >= 2] e_2.
   */
  private static byte[] separableGraph(int batch) {
    GraphProto.Builder g = pooledInput(batch, "pool-winners-separable");
    String h0 = pool(g, "x", 1, 1, 1, 2);
    String h1 = pool(g, "x", 1, 2, 1, 2);
    String m = pool(g, "x", 1, 3, 1, 2);
    String c = add(g, below(g, h0, m), below(g, h1, m));
    String v0 = pool(g, m, 1, 1, 2, 1);
    String v1 = pool(g, m, 2, 1, 2, 1);
    String y = pool(g, m, 3, 1, 2, 1);
    String r0 = below(g, v0, y);
    String r1 = below(g, v1, y);
    String c0 = rowTaps(g, c, new float[] {1, 0, 0}, 0f);
    String e1 = rowTaps(g, c, new float[] {-1, 1, 0}, SIDE);
    String e2 = rowTaps(g, c, new float[] {0, -1, 1}, SIDE);
    placeWinners(g, add(g, c0, add(g, mul(g, r0, e1), mul(g, r1, e2))));
    return withOutputs(g, batch);
  }

  /** A depthwise [3, 1] convolution down the rows at stride 2 (rows 2i .. 2i + 2, zeros past the end). */
  private static String rowTaps(GraphProto.Builder g, String x, float[] taps, float bias) {
    String name = "rows_" + g.getNodeCount();
    float[] w = new float[CHANNELS * 3];
    float[] b = new float[CHANNELS];
    for (int ch = 0; ch < CHANNELS; ch++) {
      System.arraycopy(taps, 0, w, ch * 3, 3);
    }
    Arrays.fill(b, bias);
    g.addInitializer(TensorProtos.floats(name + "_w", new long[] {CHANNELS, 1, 3, 1}, w));
    g.addInitializer(TensorProtos.floats(name + "_b", new long[] {CHANNELS}, b));
    g.addNode(SmallGraphs.node("Conv", List.of(x, name + "_w", name + "_b"), List.of(name),
        Attributes.of("group", (long) CHANNELS), Attributes.of("kernel_shape", new long[] {3, 1}),
        Attributes.of("strides", new long[] {2, 1}), Attributes.of("pads", new long[] {0, 0, 2, 0})));
    return name;
  }

  /** A plain kh x kw pool of {@code x} at the given strides, padded at the end by its kernel less one. */
  private static String pool(GraphProto.Builder g, String x, long kh, long kw, long sh, long sw) {
    String name = "pool_" + x + "_" + kh + "x" + kw + "_s" + sh + sw;
    g.addNode(SmallGraphs.node("MaxPool", List.of(x), List.of(name),
        Attributes.of("kernel_shape", new long[] {kh, kw}),
        Attributes.of("strides", new long[] {sh, sw}), Attributes.of("pads", new long[] {0, 0, kh - 1, kw - 1})));
    return name;
  }

  /** Taps by a one-hot convolution of each plane, the first maximum by ArgMax. */
  private static byte[] tapGraph(int batch) {
    GraphProto.Builder g = pooledInput(batch, "pool-winners-taps");
    g.addInitializer(TensorProtos.longs("planes", new long[] {4}, new long[] {-1, 1, SIDE, SIDE}));
    g.addNode(SmallGraphs.node("Reshape", List.of("x", "planes"), List.of("xp")));
    float[] oneHot = new float[81];
    for (int k = 0; k < 9; k++) {
      oneHot[k * 9 + k] = 1f;
    }
    g.addInitializer(TensorProtos.floats("taps_w", new long[] {9, 1, 3, 3}, oneHot));
    g.addNode(SmallGraphs.node("Conv", List.of("xp", "taps_w"), List.of("taps"),
        Attributes.of("strides", new long[] {2, 2})));
    g.addNode(SmallGraphs.node("ArgMax", List.of("taps"), List.of("tap"), Attributes.of("axis", 1L),
        Attributes.of("keepdims", 0L)));
    long[] table = new long[9];
    for (int k = 0; k < 9; k++) {
      table[k] = (k / 3) * SIDE + k % 3;
    }
    g.addInitializer(TensorProtos.longs("tap_offsets", new long[] {9}, table));
    g.addNode(SmallGraphs.node("Gather", List.of("tap_offsets", "tap"), List.of("offset")));
    long[] base = new long[WINDOWS * WINDOWS];
    for (int i = 0; i < WINDOWS; i++) {
      for (int j = 0; j < WINDOWS; j++) {
        base[i * WINDOWS + j] = 2L * i * SIDE + 2L * j;
      }
    }
    g.addInitializer(TensorProtos.longs("origins", new long[] {WINDOWS, WINDOWS}, base));
    g.addNode(SmallGraphs.node("Add", List.of("offset", "origins"), List.of("flat")));
    g.addInitializer(TensorProtos.longs("out_shape", new long[] {4}, new long[] {-1, CHANNELS, WINDOWS, WINDOWS}));
    g.addNode(SmallGraphs.node("Reshape", List.of("flat", "out_shape"), List.of("winners")));
    return withOutputs(g, batch);
  }

  /** A plain kh x kw pool whose windows start where the 3x3/2 pool's do, on the 56 x 56 grid. */
  private static String pool(GraphProto.Builder g, long kh, long kw) {
    return pool(g, "x", kh, kw, 2, 2);
  }

  /**
   * [a < y] as 0 or 1: Less and a Cast, or with -Dmask=hardsigmoid as the gradient builder forms it
   * (y - a and two HardSigmoids, exact down to the smallest subnormal difference).
   */
  private static String below(GraphProto.Builder g, String a, String y) {
    if (System.getProperty("mask", "cast").equals("hardsigmoid")) {
      g.addNode(SmallGraphs.node("Sub", List.of(y, a), List.of(a + "_gap")));
      g.addNode(SmallGraphs.node("HardSigmoid", List.of(a + "_gap"), List.of(a + "_gap_1"),
          Attributes.of("alpha", 0x1p127f), Attributes.of("beta", 0f)));
      g.addNode(SmallGraphs.node("HardSigmoid", List.of(a + "_gap_1"), List.of(a + "_below_f"),
          Attributes.of("alpha", 0x1p127f), Attributes.of("beta", 0f)));
      return a + "_below_f";
    }
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

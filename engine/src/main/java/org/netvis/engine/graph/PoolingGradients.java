package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** MaxPool, AveragePool and GlobalAveragePool. */
final class PoolingGradients {
  private PoolingGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("MaxPool", new MaxPoolGradient());
    rules.put("AveragePool", PoolingGradients::averagePool);
    rules.put("GlobalAveragePool", PoolingGradients::globalAveragePool);
  }

  /**
   * Routes each output gradient to the input position of its window's maximum (the first maximum in
   * row-major order, the element PyTorch picks on ties; padding and ceil_mode overhang never win),
   * and a ScatterElements adds up the gradients of overlapping windows (3x3 stride 2) that picked the
   * same input, in window order as PyTorch does. The scatter runs per (image, channel) plane, [N*C,
   * H*W] along axis 1, which ONNX Runtime handles far faster than one flat axis over the whole batch
   * and (since 1.28) partly on all its threads. The winners' indices come from plain pools where
   * {@link MaxPoolWinners} applies (pools that are not dilated), and otherwise from the forward MaxPool again with its Indices
   * output (two 1-D pools were faster with ONNX Runtime 1.23 and are slower with 1.29:
   * bench/README.md, eleventh session).
   */
  static final class MaxPoolGradient implements NodeGradient {
    @Override
    public void backward(NodeProto node, List<String> dy, BackwardContext ctx) {
      List<String> relus = !ctx.backward().premasks() ? List.<String>of()
          : ElementwiseGradients.soleReluSources(node.getInput(0), ctx);
      Winners w = Winners.of(node, ctx, !relus.isEmpty());
      NodeEmitter e = ctx.emit();
      String windowGradients = dy.get(0);
      if (!relus.isEmpty()) {
        // x >= 0, so a window's winner is positive exactly where the window's maximum is: the Relu
        // mask, applied here on the pooled grid (a quarter of x for 3x3/2), gives the same floats
        // as on x after the scatter, and the Relus pass the gradient on unmasked.
        windowGradients = e.mul(windowGradients, ElementwiseGradients.strictSide(e, w.values(), 0f, 1));
        relus.forEach(ctx::premasked);
      }
      ctx.accumulate(w.x(), w.scatter(windowGradients, ctx));
    }
  }

  /**
   * A max pool's winners: from plain pools ({@link MaxPoolWinners}) where the pool is not dilated,
   * else from the forward MaxPool again with its Indices output (ONNX Runtime's optimizer merges the
   * two); its pooled values and each window's winner within its (image, channel) plane.
   */
  record Winners(String x, long[] xs, long plane, long windows, String values, String inPlane) {
    static Winners of(NodeProto node, BackwardContext ctx) {
      return of(node, ctx, false);
    }

    /**
     * {@code maskedWhereZero}: x >= 0 and the caller masks the gradient of every window whose maximum
     * is 0, so such a window's winner may be any element of its plane ({@link MaxPoolWinners#indices}).
     */
    static Winners of(NodeProto node, BackwardContext ctx, boolean maskedWhereZero) {
      if (Attributes.getInt(node, "storage_order", 0) != 0) {
        throw ctx.fail(node, "storage_order=1 is not supported (expected 0)");
      }
      String x = node.getInput(0);
      long[] xs = ctx.shape(x);
      long[] ys = ctx.shape(node.getOutput(0));
      if (xs[1] < 0) {
        throw ctx.fail(node, "the channel dimension must be fixed");
      }
      long plane = 1;
      long windows = 1;
      for (int d = 2; d < xs.length; d++) {
        plane *= xs[d];
        windows *= ys[d];
      }
      NodeEmitter e = ctx.emit();
      long[] kernel = Attributes.getInts(node, "kernel_shape");
      String fromPlainPools = kernel == null ? null : MaxPoolWinners.indices(e, x, xs, WindowGeometry.of(node, kernel,
          Arrays.copyOfRange(xs, 2, xs.length), Arrays.copyOfRange(ys, 2, ys.length)), maskedWhereZero);
      if (fromPlainPools != null) {
        return new Winners(x, xs, plane, windows, node.getOutput(0),
            e.op("Reshape", List.of(fromPlainPools, e.longs("shape", -1, windows))));
      }
      NodeProto.Builder again = node.toBuilder().clearOutput().clearName();
      List<String> pooled = List.of(e.fresh("maxpool_values"), e.fresh("maxpool_indices"));
      again.addAllOutput(pooled).setName(e.fresh("node_MaxPool"));
      e.add(again.build());
      // Indices count over the whole [N, C, spatial] tensor: subtract each plane's start.
      String indexRows = e.op("Reshape", List.of(pooled.get(1), e.longs("shape", -1, windows)));
      String rowCount = e.op("Gather", List.of(e.shapeOf(indexRows), e.longScalar("index", 0)));
      String planeSize = e.longScalar("plane", plane);
      String starts = e.op("Range", List.of(e.longScalar("zero", 0), e.op("Mul", List.of(rowCount, planeSize)), planeSize));
      String inPlane = e.op("Sub", List.of(indexRows, e.op("Reshape", List.of(starts, e.longs("shape", -1, 1)))));
      return new Winners(x, xs, plane, windows, pooled.get(0), inPlane);
    }

    /**
     * Each window's value of {@code windowGradients} added at its winner in a tensor of x's shape,
     * overlapping windows that share a winner in window order, as PyTorch's max-pool backward adds them.
     */
    String scatter(String windowGradients, BackwardContext ctx) {
      NodeEmitter e = ctx.emit();
      String updates = e.op("Reshape", List.of(windowGradients, e.longs("shape", -1, windows)));
      // Zeros to scatter into: a column of zeros broadcast along the rows (ConstantOfShape and Expand
      // fill on one thread: 9% of SqueezeNet's VJP at batch 32 on 16 cores). The rows counted from the
      // updates, not from x: ONNX Runtime takes x out of its blocked layout for any reader it does not
      // run blocked, a Shape too (a reorder of ResNet's stem activations for this alone).
      String column = e.op("Div", List.of(e.shapeOf(updates), e.longs("one_by_windows", 1, windows)));
      String zeros = e.broadcast(e.zerosOfShape(column), new long[] {1, plane},
          () -> e.op("Mul", List.of(column, e.longs("one_by_plane", 1, plane))));
      String scattered = e.op("ScatterElements", List.of(zeros, inPlane, updates),
          Attributes.of("axis", 1L), Attributes.of("reduction", "add"));
      // With the planes' row count named, ONNX Runtime scatters into the zeros in place instead of
      // first copying them, on one thread, into a buffer of their own (SqueezeNet's first pool at
      // batch 8: 9.7 -> 6.9 ms).
      long[] planes = {xs[0] < 0 ? -xs[1] : xs[0] * xs[1], plane};
      ctx.declareShape(zeros, planes);
      ctx.declareShape(scattered, planes);
      long[] back = xs.clone();
      back[0] = -1;
      return e.op("Reshape", List.of(scattered, e.longs("shape", back)));
    }
  }

  /**
   * The adjoint of average pooling: scale each output gradient by 1/divisor, then spread it over
   * its window with a depthwise ConvTranspose of ones. The divisor map follows ONNX Runtime:
   * valid elements only, or with count_include_pad the window clipped to the padded input.
   */
  private static void averagePool(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long[] xs = ctx.shape(x);
    long[] ys = ctx.shape(node.getOutput(0));
    long[] kernel = Attributes.getInts(node, "kernel_shape");
    if (Attributes.getInts(node, "dilations") != null
        && Arrays.stream(Attributes.getInts(node, "dilations")).anyMatch(d -> d != 1)) {
      throw ctx.fail(node, "dilated AveragePool is not supported (expected dilations of 1)");
    }
    int spatial = kernel.length;
    long[] in = Arrays.copyOfRange(xs, 2, xs.length);
    long[] out = Arrays.copyOfRange(ys, 2, ys.length);
    WindowGeometry g = WindowGeometry.of(node, kernel, in, out);
    boolean includePad = Attributes.getInt(node, "count_include_pad", 0) != 0;
    long channels = xs[1];
    if (channels < 0) {
      throw ctx.fail(node, "the channel dimension must be fixed");
    }

    int outCount = (int) Arrays.stream(out).reduce(1, (a, b) -> a * b);
    float[] inverse = new float[outCount];
    for (int flat = 0; flat < outCount; flat++) {
      long divisor = 1;
      int rest = flat;
      for (int d = spatial - 1; d >= 0; d--) {
        long o = rest % out[d];
        rest /= (int) out[d];
        long start = o * g.strides()[d] - g.padsBegin()[d];
        long end = start + kernel[d];
        long size = includePad
            ? Math.min(end, in[d] + g.padsEnd()[d]) - start
            : Math.min(end, in[d]) - Math.max(start, 0);
        divisor *= size;
      }
      inverse[flat] = 1f / divisor;
    }
    NodeEmitter e = ctx.emit();
    long[] mapShape = new long[spatial + 2];
    mapShape[0] = 1;
    mapShape[1] = 1;
    System.arraycopy(out, 0, mapShape, 2, spatial);
    String scaled = e.mul(dy.get(0), e.floats("avgpool_inverse_divisor", mapShape, inverse));
    long[] onesShape = new long[spatial + 2];
    onesShape[0] = channels;
    onesShape[1] = 1;
    System.arraycopy(kernel, 0, onesShape, 2, spatial);
    String onesKernel = e.ones("avgpool_ones", onesShape);
    ctx.accumulate(x, g.adjoint(e, scaled, onesKernel, channels));
  }

  private static void globalAveragePool(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long[] xs = ctx.shape(x);
    long area = 1;
    for (int i = 2; i < xs.length; i++) {
      area *= xs[i];
    }
    String scaled = ctx.emit().mul(dy.get(0), ctx.emit().scalar(1f / area));
    ctx.accumulate(x, ReductionGradients.Reduction.spatial(xs.length).spread(ctx, scaled, x));
  }
}

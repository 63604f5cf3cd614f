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
   * H*W] along axis 1, which ONNX Runtime handles far faster than one flat axis over the whole batch.
   * The winners' indices come from {@link #separableIndices} where it applies, else from the forward
   * MaxPool again with its Indices output.
   */
  static final class MaxPoolGradient implements NodeGradient {
    @Override
    public void backward(NodeProto node, List<String> dy, BackwardContext ctx) {
      if (Attributes.getInt(node, "storage_order", 0) != 0) {
        throw ctx.fail(node, "storage_order=1 is not supported (expected 0)");
      }
      String x = node.getInput(0);
      long[] xs = ctx.shape(x);
      long[] ys = ctx.shape(node.getOutput(0));
      long channels = xs[1];
      if (channels < 0) {
        throw ctx.fail(node, "the channel dimension must be fixed");
      }
      long plane = 1;
      long windows = 1;
      for (int d = 2; d < xs.length; d++) {
        plane *= xs[d];
        windows *= ys[d];
      }
      NodeEmitter e = ctx.emit();
      String indices = separableIndices(node, x, xs, ys, e);
      if (indices == null) {
        NodeProto.Builder again = node.toBuilder().clearOutput().clearName();
        List<String> pooled = List.of(e.fresh("maxpool_values"), e.fresh("maxpool_indices"));
        again.addAllOutput(pooled).setName(e.fresh("node_MaxPool"));
        e.add(again.build());
        indices = pooled.get(1);
      }

      // Indices count over the whole [N, C, spatial] tensor: subtract each plane's start.
      String rows = e.op("Reshape", List.of(x, e.longs("shape", -1, plane)));
      String rowCount = e.op("Gather", List.of(e.shapeOf(rows), e.longScalar("index", 0)));
      String planeSize = e.longScalar("plane", plane);
      String starts = e.op("Range", List.of(e.longScalar("zero", 0), e.op("Mul", List.of(rowCount, planeSize)), planeSize));
      String inPlane = e.op("Sub", List.of(e.op("Reshape", List.of(indices, e.longs("shape", -1, windows))),
          e.op("Reshape", List.of(starts, e.longs("shape", -1, 1)))));
      String scattered = e.op("ScatterElements", List.of(e.zerosLike(rows), inPlane,
          e.op("Reshape", List.of(dy.get(0), e.longs("shape", -1, windows)))),
          Attributes.of("axis", 1L), Attributes.of("reduction", "add"));
      long[] back = xs.clone();
      back[0] = -1;
      ctx.accumulate(x, e.op("Reshape", List.of(scattered, e.longs("shape", back))));
    }

    /**
     * The winners' flat indices into x, [N*C, Ho, Wo], from two one-dimensional MaxPools, or null where
     * this does not apply. ONNX Runtime runs a 2-D MaxPool with an Indices output through a generic
     * per-window loop (about 15 ns per window of 3 x 3 on this project's machine, 16 times its plain
     * MaxPool), and a 1-D one several times faster. So: the maximum of each row's horizontal windows
     * (x as [N*C*H, 1, W], the node's strides, pads and ceil_mode along W), then the maximum over the
     * vertical windows of those, a 1-D pool over each plane of them flattened with dilation Wo (every
     * stride-1 window, of which every sh-th row is kept), and a Gather from the first pool's indices.
     * The first row-maximum in the first row is the window's first maximum in row-major order, the one
     * the 2-D pool picks, tie for tie. Applies to 2-D pools without dilation whose vertical windows lie
     * inside the input: no pad above or below in use (SqueezeNet's 3x3/2 ceil_mode pools at 224 x 224,
     * 2x2/2); ONNX Runtime also requires 1-D pads smaller than the kernel.
     */
    private static String separableIndices(NodeProto node, String x, long[] xs, long[] ys, NodeEmitter e) {
      long[] kernel = Attributes.getInts(node, "kernel_shape");
      if (xs.length != 4 || kernel == null || kernel.length != 2 || xs[2] < 0 || xs[3] < 0 || ys[2] < 1 || ys[3] < 1) {
        return null;
      }
      long h = xs[2];
      long w = xs[3];
      long oh = ys[2];
      long ow = ys[3];
      WindowGeometry g = WindowGeometry.of(node, kernel, new long[] {h, w}, new long[] {oh, ow});
      long kh = kernel[0];
      long kw = kernel[1];
      long sh = g.strides()[0];
      long sw = g.strides()[1];
      boolean undilated = g.dilations()[0] == 1 && g.dilations()[1] == 1;
      boolean rowsInside = g.padsBegin()[0] == 0 && (oh - 1) * sh + kh <= h;
      boolean padsFit = g.padsBegin()[1] < kw && g.padsEnd()[1] < kw;
      boolean ceil = Attributes.getInt(node, "ceil_mode", 0) != 0;
      long span = w + g.padsBegin()[1] + g.padsEnd()[1] - kw;
      long rowWindows = (ceil ? Math.floorDiv(span + sw - 1, sw) : Math.floorDiv(span, sw)) + 1;
      if (ceil && (rowWindows - 1) * sw >= w + g.padsBegin()[1]) {
        rowWindows--; // ONNX's rule: the last window must start inside the input or its left pad
      }
      if (!undilated || !rowsInside || !padsFit || span < 0 || rowWindows != ow) {
        return null;
      }
      List<String> across = e.op("MaxPool", List.of(e.op("Reshape", List.of(x, e.longs("shape", -1, 1, w)))), 2,
          Attributes.of("kernel_shape", new long[] {kw}), Attributes.of("strides", new long[] {sw}),
          Attributes.of("pads", new long[] {g.padsBegin()[1], g.padsEnd()[1]}),
          Attributes.of("ceil_mode", ceil ? 1L : 0L));
      String planes = e.op("Reshape", List.of(across.get(0), e.longs("shape", -1, 1, h * ow)));
      List<String> down = e.op("MaxPool", List.of(planes), 2, Attributes.of("kernel_shape", new long[] {kh}),
          Attributes.of("dilations", new long[] {ow}));
      String rowIndices = e.op("Reshape", List.of(down.get(1), e.longs("shape", -1, h - kh + 1, ow)));
      if (sh != 1 || oh != h - kh + 1) {
        long[] rows = new long[(int) oh];
        for (int r = 0; r < oh; r++) {
          rows[r] = r * sh;
        }
        // Gathers, not Slice and GatherElements: ONNX Runtime runs those two on one thread.
        rowIndices = e.op("Gather", List.of(rowIndices, e.longs("rows", rows)), Attributes.of("axis", 1L));
      }
      return e.op("Gather", List.of(e.op("Reshape", List.of(across.get(1), e.longs("shape", -1))), rowIndices),
          Attributes.of("axis", 0L));
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
    float[] ones = new float[(int) (channels * Arrays.stream(kernel).reduce(1, (a, b) -> a * b))];
    Arrays.fill(ones, 1f);
    String onesKernel = e.floats("avgpool_ones", onesShape, ones);
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

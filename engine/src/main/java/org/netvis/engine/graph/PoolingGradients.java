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
   * Routes each output gradient to the input position of its window's maximum. The forward MaxPool
   * stays the fast kernel without indices; the backward pass gathers each window's k*k candidates
   * with a one-hot depthwise Conv over the (lowest-value padded) input, takes the first maximum with ArgMax (the same
   * element MaxPool and PyTorch pick on ties), and scatters dy back with a depthwise ConvTranspose
   * whose kernel is one-hot per candidate. Overlapping windows (3x3 stride 2) that pick the same
   * input add up, as they must.
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
      long[] kernel = Attributes.getInts(node, "kernel_shape");
      int spatial = kernel.length;
      long channels = xs[1];
      if (channels < 0) {
        throw ctx.fail(node, "the channel dimension must be fixed");
      }
      long[] in = Arrays.copyOfRange(xs, 2, xs.length);
      long[] out = Arrays.copyOfRange(ys, 2, ys.length);
      WindowGeometry g = WindowGeometry.of(node, kernel, in, out);
      NodeEmitter e = ctx.emit();

      // Pad with the lowest float so that padding and ceil_mode overhang never win a window
      // (not -inf: the gathering Conv multiplies it by 0).
      long[] pads = new long[2 * (spatial + 2)];
      long[] padEnd = new long[spatial];
      boolean anyPad = false;
      for (int d = 0; d < spatial; d++) {
        long needed = (out[d] - 1) * g.strides()[d] + (kernel[d] - 1) * g.dilations()[d] + 1;
        padEnd[d] = Math.max(0, needed - g.padsBegin()[d] - in[d]);
        pads[2 + d] = g.padsBegin()[d];
        pads[spatial + 4 + d] = padEnd[d];
        anyPad |= g.padsBegin()[d] > 0 || padEnd[d] > 0;
      }
      String padded = anyPad
          ? e.op("Pad", List.of(x, e.longs("pads", pads), e.scalar(-Float.MAX_VALUE)))
          : x;

      // Gather the taps candidates of every window with one depthwise Conv whose kernels are
      // one-hot: [N, C*taps, out...]. Multiplying by exact 0 and 1 keeps the values exact.
      int taps = (int) Arrays.stream(kernel).reduce(1, (a, b) -> a * b);
      long[] weightShape = new long[spatial + 2];
      weightShape[0] = channels * taps;
      weightShape[1] = 1;
      System.arraycopy(kernel, 0, weightShape, 2, spatial);
      float[] oneHot = new float[(int) (channels * taps * taps)];
      for (int c = 0; c < channels; c++) {
        for (int k = 0; k < taps; k++) {
          oneHot[(c * taps + k) * taps + k] = 1f;
        }
      }
      String w = e.floats("maxpool_taps_kernel", weightShape, oneHot);
      String gathered = e.op("Conv", List.of(padded, w), Attributes.of("strides", g.strides()),
          Attributes.of("dilations", g.dilations()), Attributes.of("group", channels),
          Attributes.of("kernel_shape", kernel));
      long[] splitShape = new long[spatial + 3];
      splitShape[0] = 0;
      splitShape[1] = channels;
      splitShape[2] = taps;
      for (int d = 0; d < spatial; d++) {
        splitShape[d + 3] = out[d];
      }
      String stacked = e.op("Reshape", List.of(gathered, e.longs("shape", splitShape)));
      // ArgMax keeps the first maximum, the element the forward kernel (and PyTorch) picks on ties.
      String winner = e.op("ArgMax", List.of(stacked), Attributes.of("axis", 2L), Attributes.of("keepdims", 1L));
      long[] tapShape = new long[spatial + 3];
      Arrays.fill(tapShape, 1);
      tapShape[2] = taps;
      long[] tapIds = new long[taps];
      for (int k = 0; k < taps; k++) {
        tapIds[k] = k;
      }
      String ids = e.fresh("maxpool_taps");
      e.initializers().add(TensorProtos.longs(ids, tapShape, tapIds));
      String unsqueezeAxis = e.longs("axis", 2);
      // One-hot as float times dy: ONNX Runtime's broadcasting Mul is faster here than Where
      // (measured with bench's CompareGraphs: about 6% of the whole VJP at batch 8).
      String chosen = e.op("Cast", List.of(e.op("Equal", List.of(winner, ids))), Attributes.of("to", 1L));
      String routed = e.mul(chosen, e.op("Unsqueeze", List.of(dy.get(0), unsqueezeAxis)));
      long[] flatShape = new long[spatial + 2];
      flatShape[0] = 0;
      flatShape[1] = channels * taps;
      for (int d = 0; d < spatial; d++) {
        flatShape[d + 2] = out[d];
      }
      String flat = e.op("Reshape", List.of(routed, e.longs("shape", flatShape)));

      // The adjoint of the gathering Conv puts each routed gradient back at its tap.
      ctx.accumulate(x, g.adjoint(e, flat, w, channels));
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
    NodeEmitter e = ctx.emit();
    String scaled = e.mul(dy.get(0), e.scalar(1f / area));
    ctx.accumulate(x, e.op("Expand", List.of(scaled, e.shapeOf(x))));
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** MaxPool, AveragePool, GlobalAveragePool and ReduceMean. */
final class PoolingGradients {
  private PoolingGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("MaxPool", new MaxPoolGradient());
    rules.put("AveragePool", PoolingGradients::averagePool);
    rules.put("GlobalAveragePool", PoolingGradients::globalAveragePool);
    rules.put("ReduceMean", PoolingGradients::reduceMean);
  }

  /**
   * Routes each output gradient to the input position of its window's maximum, using MaxPool's
   * Indices output and an additive scatter: overlapping windows (3x3 stride 2) can pick the same
   * input twice, and both contributions must add up (MaxUnpool would overwrite one).
   */
  static final class MaxPoolGradient implements NodeGradient {
    @Override
    public NodeProto prepareForward(NodeProto node, NodeEmitter emitter) {
      if (Attributes.getInt(node, "storage_order", 0) != 0) {
        throw new GraphBuildException("MaxPool node '" + node.getName() + "': storage_order=1 is not supported (expected 0)");
      }
      if (node.getOutputCount() >= 2 && !node.getOutput(1).isEmpty()) {
        return node;
      }
      NodeProto.Builder b = node.toBuilder();
      String indices = emitter.fresh("maxpool_indices");
      if (node.getOutputCount() >= 2) {
        b.setOutput(1, indices);
      } else {
        b.addOutput(indices);
      }
      return b.build();
    }

    @Override
    public void backward(NodeProto node, List<String> dy, BackwardContext ctx) {
      NodeEmitter e = ctx.emit();
      String x = node.getInput(0);
      String count = e.op("ReduceProd", List.of(e.shapeOf(x)), Attributes.of("keepdims", 1L));
      String zeros = e.op("ConstantOfShape", List.of(count),
          Attributes.of("value", TensorProtos.floats("value", new long[] {1}, new float[] {0f})));
      String flat = e.longs("flat", -1);
      String indices = e.op("Reshape", List.of(node.getOutput(1), flat));
      String grads = e.op("Reshape", List.of(dy.get(0), flat));
      String scattered = e.op("ScatterElements", List.of(zeros, indices, grads),
          Attributes.of("axis", 0L), Attributes.of("reduction", "add"));
      ctx.accumulate(x, e.reshapeLike(scattered, x));
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
    long[][] adj = g.adjointPads();
    List<AttributeProto> attrs = new ArrayList<>(List.of(Attributes.of("strides", g.strides()),
        Attributes.of("group", channels), Attributes.of("kernel_shape", kernel), Attributes.of("pads", adj[0])));
    if (Arrays.stream(adj[1]).anyMatch(p -> p != 0)) {
      attrs.add(Attributes.of("output_padding", adj[1]));
    }
    ctx.accumulate(x, e.op("ConvTranspose", List.of(scaled, onesKernel), attrs.toArray(AttributeProto[]::new)));
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

  private static void reduceMean(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long[] xs = ctx.shape(x);
    long[] axes = Attributes.getInts(node, "axes");
    if (axes == null && node.getInputCount() > 1) {
      axes = TensorProtos.toLongs(ctx.requireConstant(node, node.getInput(1), "axes"));
    }
    if (axes == null || axes.length == 0) {
      axes = new long[xs.length];
      for (int i = 0; i < xs.length; i++) {
        axes[i] = i;
      }
    }
    long count = 1;
    long[] normalized = new long[axes.length];
    for (int i = 0; i < axes.length; i++) {
      normalized[i] = axes[i] < 0 ? axes[i] + xs.length : axes[i];
      long d = xs[(int) normalized[i]];
      if (d < 0) {
        throw ctx.fail(node, "reducing over the batch axis is not supported");
      }
      count *= d;
    }
    NodeEmitter e = ctx.emit();
    String g = dy.get(0);
    if (Attributes.getInt(node, "keepdims", 1) == 0) {
      g = e.op("Unsqueeze", List.of(g, e.longs("axes", normalized)));
    }
    String scaled = e.mul(g, e.scalar(1f / count));
    ctx.accumulate(x, e.op("Expand", List.of(scaled, e.shapeOf(x))));
  }
}

package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** LayerNormalization, InstanceNormalization and LRN (local response normalization across channels). */
final class NormalizationGradients {
  private NormalizationGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("LayerNormalization", NormalizationGradients::layerNorm);
    rules.put("InstanceNormalization", NormalizationGradients::instanceNorm);
    rules.put("LRN", NormalizationGradients::lrn);
  }

  /** Y = (X - mean) / sqrt(var + eps) * Scale + B over the axes from {@code axis} to the last. */
  private static void layerNorm(NodeProto node, List<String> dy, BackwardContext ctx) {
    for (int i = 1; i < dy.size(); i++) {
      if (dy.get(i) != null) {
        throw ctx.fail(node, "its Mean and InvStdDev outputs feed the gradient path; expected only Y to be used");
      }
    }
    String x = node.getInput(0);
    int rank = ctx.shape(x).length;
    long axis = Attributes.getInt(node, "axis", -1);
    int first = (int) (axis < 0 ? axis + rank : axis);
    long[] axes = new long[rank - first];
    for (int i = first; i < rank; i++) {
      axes[i - first] = i;
    }
    float eps = Attributes.getFloat(node, "epsilon", 1e-5f);
    NodeEmitter e = ctx.emit();
    Normalized n = normalize(node, ctx, x, axes, eps);
    String scale = node.getInput(1);
    String bias = input(node, 2);
    String y = node.getOutput(0);
    if (ctx.isActive(x)) {
      ctx.accumulate(x, n.backward(ctx, e.mul(dy.get(0), scale)));
    }
    if (ctx.isActive(scale)) {
      ctx.accumulate(scale, ctx.unbroadcast(e.mul(dy.get(0), n.xhat()), y, scale));
    }
    if (bias != null && ctx.isActive(bias)) {
      ctx.accumulate(bias, ctx.unbroadcast(dy.get(0), y, bias));
    }
  }

  /** Per image and channel over the spatial axes; Scale and B are per channel. */
  private static void instanceNorm(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long[] xs = ctx.shape(x);
    int rank = xs.length;
    if (ctx.isActive(node.getInput(1)) || ctx.isActive(node.getInput(2))) {
      throw ctx.fail(node, "scale and bias depend on the input; expected parameters");
    }
    if (!ctx.isActive(x)) {
      return;
    }
    long[] axes = new long[rank - 2];
    for (int i = 2; i < rank; i++) {
      axes[i - 2] = i;
    }
    NodeEmitter e = ctx.emit();
    long[] perChannel = new long[rank - 1];
    java.util.Arrays.fill(perChannel, 1);
    perChannel[0] = -1;
    String scale = e.op("Reshape", List.of(node.getInput(1), e.longs("channel_shape", perChannel)));
    Normalized n = normalize(node, ctx, x, axes, Attributes.getFloat(node, "epsilon", 1e-5f));
    ctx.accumulate(x, n.backward(ctx, e.mul(dy.get(0), scale)));
  }

  /** xhat = (x - mean) * rstd over {@code axes}, with what the backward pass needs. */
  private record Normalized(String xhat, String rstd, long[] axes, long count) {
    /** dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g the gradient with respect to xhat. */
    String backward(BackwardContext ctx, String g) {
      NodeEmitter e = ctx.emit();
      String meanG = mean(e, g, axes, count);
      String meanGx = mean(e, e.mul(g, xhat), axes, count);
      String inner = e.op("Sub", List.of(e.op("Sub", List.of(g, meanG)), e.mul(xhat, meanGx)));
      return e.mul(rstd, inner);
    }
  }

  private static Normalized normalize(NodeProto node, BackwardContext ctx, String x, long[] axes, float eps) {
    long[] xs = ctx.shape(x);
    long count = 1;
    for (long a : axes) {
      if (xs[(int) a] < 0) {
        throw ctx.fail(node, "normalizing over the batch axis is not supported");
      }
      count *= xs[(int) a];
    }
    NodeEmitter e = ctx.emit();
    String centred = e.op("Sub", List.of(x, mean(e, x, axes, count)));
    String variance = mean(e, e.mul(centred, centred), axes, count);
    String rstd = e.op("Reciprocal", List.of(e.op("Sqrt", List.of(e.op("Add", List.of(variance, e.scalar(eps)))))));
    return new Normalized(e.mul(centred, rstd), rstd, axes, count);
  }

  private static String mean(NodeEmitter e, String t, long[] axes, long count) {
    String sum = e.op("ReduceSum", List.of(t, e.longs("axes", axes)), Attributes.of("keepdims", 1L));
    return e.mul(sum, e.scalar(1f / count));
  }

  /**
   * y_c = x_c * s_c^-beta with s_c = bias + alpha/size * sum of x^2 over the channel window
   * [c - floor((size-1)/2), c + ceil((size-1)/2)]. Then
   * dx_i = dy_i * s_i^-beta - 2 alpha beta / size * x_i * sum over windows j containing i of dy_j y_j / s_j.
   *
   * <p>On images the forward LRN node is recomputed as x * s^-beta from the s and s^-beta this
   * gradient needs anyway: ONNX Runtime's LRN kernel took 72% of an AlexNet-style forward pass and 28%
   * of its VJP, the one Mul costs a few percent of that (README, eighteenth session). The outputs
   * differ from the kernel's in the last bits.
   */
  private static void lrn(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long channels = ctx.shape(x)[1];
    if (channels < 0) {
      throw ctx.fail(node, "the channel dimension must be fixed");
    }
    long size = Attributes.getInt(node, "size", 0);
    if (size <= 0) {
      throw ctx.fail(node, "size " + size + " is not a positive window");
    }
    float alpha = Attributes.getFloat(node, "alpha", 1e-4f);
    float beta = Attributes.getFloat(node, "beta", 0.75f);
    float bias = Attributes.getFloat(node, "bias", 1f);
    long below = (size - 1) / 2;
    long above = size - 1 - below;
    int rank = ctx.shape(x).length;
    NodeEmitter e = ctx.emit();
    String windowSum = channelWindowSum(e, e.mul(x, x), below, above, channels, size, rank);
    String s = e.op("Add", List.of(e.mul(windowSum, e.scalar(alpha / size)), e.scalar(bias)));
    String factor = e.op("Pow", List.of(s, e.scalar(-beta)));
    if (rank == 4) {
      e.opInto("Mul", List.of(x, factor), node.getOutput(0));
      ctx.recomputed(node);
    }
    String direct = e.mul(dy.get(0), factor);
    String q = e.op("Div", List.of(e.mul(dy.get(0), node.getOutput(0)), s));
    // The transposed window: j ranges over [i - above, i + below].
    String spread = channelWindowSum(e, q, above, below, channels, size, rank);
    String cross = e.mul(e.mul(x, spread), e.scalar(2f * alpha * beta / size));
    ctx.accumulate(x, e.op("Sub", List.of(direct, cross)));
  }

  /**
   * out_c = sum of t over channels [c - before, c + after], zero outside. On images, a 1x1 Conv
   * with a banded 0/1 weight matrix, which ONNX Runtime runs on every thread in its blocked layout
   * (Pad, Slices and Sum ran on one: a quarter of an AlexNet-style VJP); otherwise those.
   */
  private static String channelWindowSum(NodeEmitter e, String t, long before, long after, long channels, long size,
      int rank) {
    if (rank == 4) {
      int c = (int) channels;
      float[] band = new float[c * c];
      for (int out = 0; out < c; out++) {
        for (int in = (int) Math.max(0, out - before); in <= Math.min(c - 1, out + after); in++) {
          band[out * c + in] = 1f;
        }
      }
      return e.op("Conv", List.of(t, e.floats("lrn_window", new long[] {c, c, 1, 1}, band)));
    }
    long[] pads = new long[2 * rank];
    pads[1] = before;
    pads[1 + rank] = after;
    String padded = e.op("Pad", List.of(t, e.longs("pads", pads)));
    List<String> parts = new ArrayList<>();
    for (long k = 0; k < size; k++) {
      parts.add(e.op("Slice", List.of(padded, e.longs("starts", k), e.longs("ends", k + channels), e.longs("axes", 1))));
    }
    return parts.size() == 1 ? parts.get(0) : e.op("Sum", parts);
  }
}

package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;
import java.util.Map;

/**
 * LayerNormalization, RMSNormalization, InstanceNormalization, GroupNormalization and LRN (local
 * response normalization across channels).
 */
final class NormalizationGradients {
  private NormalizationGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("LayerNormalization", NormalizationGradients::layerNorm);
    rules.put("RMSNormalization", NormalizationGradients::rmsNorm);
    rules.put("InstanceNormalization", NormalizationGradients::instanceNorm);
    rules.put("GroupNormalization", NormalizationGradients::groupNorm);
    rules.put("LRN", NormalizationGradients::lrn);
    rules.put("LpNormalization", NormalizationGradients::lpNorm);
  }

  /** Y = (X - mean) / sqrt(var + eps) * Scale + B over the axes from {@code axis} to the last. */
  private static void layerNorm(NodeProto node, List<String> dy, BackwardContext ctx) {
    for (int i = 1; i < dy.size(); i++) {
      if (dy.get(i) != null) {
        throw ctx.fail(node, "its Mean and InvStdDev outputs feed the gradient path; expected only Y to be used");
      }
    }
    String x = node.getInput(0);
    long[] axes = trailingAxes(node, ctx.shape(x).length);
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

  /**
   * Y = X / sqrt(mean(X^2) + eps) * Scale over the axes from {@code axis} to the last (opset 23).
   * With r = 1 / sqrt(mean(X^2) + eps), xhat = X r and g = dY Scale: dX = r (g - xhat mean(g xhat)),
   * as LayerNormalization's without the centring.
   */
  private static void rmsNorm(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    String scale = node.getInput(1);
    long[] axes = trailingAxes(node, ctx.shape(x).length);
    long count = valuesPerMean(node, ctx, x, axes);
    NodeEmitter e = ctx.emit();
    String meanSquare = mean(e, e.mul(x, x), axes, count);
    float eps = Attributes.getFloat(node, "epsilon", 1e-5f);
    String r = e.op("Reciprocal", List.of(e.op("Sqrt", List.of(e.op("Add", List.of(meanSquare, e.scalar(eps)))))));
    String xhat = e.mul(x, r);
    if (ctx.isActive(x)) {
      String g = e.mul(dy.get(0), scale);
      String inner = e.op("Sub", List.of(g, e.mul(xhat, mean(e, e.mul(g, xhat), axes, count))));
      ctx.accumulate(x, e.mul(r, inner));
    }
    if (ctx.isActive(scale)) {
      ctx.accumulate(scale, ctx.unbroadcast(e.mul(dy.get(0), xhat), node.getOutput(0), scale));
    }
  }

  /**
   * Y = X / ||X||_p along {@code axis} (p 1 or 2). With n the norm and s = dn/dX (Y for p = 2, sign(X)
   * for p = 1): dX = (dY - s sum(dY Y)) / n, the sum along the axis.
   */
  private static void lpNorm(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long p = Attributes.getInt(node, "p", 2);
    if (p != 1 && p != 2) {
      throw ctx.fail(node, "has p " + p + "; ONNX defines LpNormalization for p 1 and 2");
    }
    long axis = Attributes.getInt(node, "axis", -1);
    NodeEmitter e = ctx.emit();
    String axes = e.longs("axes", axis);
    String y = node.getOutput(0);
    String norm = p == 2 ? e.op("Sqrt", List.of(e.op("ReduceSum", List.of(e.mul(x, x), axes))))
        : e.op("ReduceSum", List.of(e.op("Abs", List.of(x)), axes));
    String slope = p == 2 ? y : e.op("Sign", List.of(x));
    String projected = e.op("ReduceSum", List.of(e.mul(dy.get(0), y), axes));
    String inner = e.op("Sub", List.of(dy.get(0), e.mul(slope, projected)));
    ctx.accumulate(x, e.op("Div", List.of(inner, norm)));
  }

  /** The axes from the node's {@code axis} attribute (default -1) to the last. */
  private static long[] trailingAxes(NodeProto node, int rank) {
    long axis = Attributes.getInt(node, "axis", -1);
    int first = (int) (axis < 0 ? axis + rank : axis);
    long[] axes = new long[rank - first];
    for (int i = first; i < rank; i++) {
      axes[i - first] = i;
    }
    return axes;
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

  /**
   * Per image and group of consecutive channels over the group's channels and the spatial axes: the
   * input viewed as [N, groups, rest] normalized over its last axis. Scale and B hold one value per
   * group (opset 18 to 20) or per channel (from opset 21); the gradient goes through each channel's.
   */
  private static void groupNorm(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long[] xs = ctx.shape(x);
    long groups = Attributes.getInt(node, "num_groups", 0);
    if (ctx.isActive(node.getInput(1)) || ctx.isActive(node.getInput(2))) {
      throw ctx.fail(node, "scale and bias depend on the input; expected parameters");
    }
    if (!ctx.isActive(x)) {
      return;
    }
    long perGroup = 1;
    for (int i = 1; i < xs.length; i++) {
      if (xs[i] < 0) {
        throw ctx.fail(node, "the channel and spatial sizes must be known, got " + java.util.Arrays.toString(xs));
      }
      perGroup *= xs[i];
    }
    long channels = xs[1];
    if (groups <= 0 || channels % groups != 0) {
      throw ctx.fail(node, "num_groups " + groups + " does not divide the " + channels + " channels");
    }
    perGroup /= groups;
    float[] scale = TensorProtos.toFloats(ctx.requireConstant(node, node.getInput(1), "scale"));
    if (scale.length != channels && scale.length != groups) {
      throw ctx.fail(node, "scale has " + scale.length + " values; expected one per group (" + groups
          + ") or per channel (" + channels + ")");
    }
    float[] perChannel = new float[(int) channels];
    for (int c = 0; c < channels; c++) {
      perChannel[c] = scale.length == channels ? scale[c] : scale[(int) (c / (channels / groups))];
    }
    NodeEmitter e = ctx.emit();
    long[] channelShape = new long[xs.length];
    java.util.Arrays.fill(channelShape, 1);
    channelShape[1] = channels;
    long[] grouped = {-1, groups, perGroup};
    String g = e.mul(dy.get(0), e.floats("group_norm_scale", channelShape, perChannel));
    Normalized n = normalizeOver(e, e.op("Reshape", List.of(x, e.longs("grouped", grouped))), new long[] {2}, perGroup,
        Attributes.getFloat(node, "epsilon", 1e-5f));
    String dx = n.backward(ctx, e.op("Reshape", List.of(g, e.longs("grouped", grouped))));
    ctx.accumulate(x, e.reshapeLike(dx, x));
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
    return normalizeOver(ctx.emit(), x, axes, valuesPerMean(node, ctx, x, axes), eps);
  }

  /** How many values of x each mean over {@code axes} covers; the batch axis cannot be one of them. */
  private static long valuesPerMean(NodeProto node, BackwardContext ctx, String x, long[] axes) {
    long[] xs = ctx.shape(x);
    long count = 1;
    for (long a : axes) {
      if (xs[(int) a] < 0) {
        throw ctx.fail(node, "normalizing over the batch axis is not supported");
      }
      count *= xs[(int) a];
    }
    return count;
  }

  /** {@link #normalize} where the caller knows how many values each mean covers. */
  private static Normalized normalizeOver(NodeEmitter e, String x, long[] axes, long count, float eps) {
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
   * [c - floor((size-1)/2), c + ceil((size-1)/2)] ({@link LrnWindowSums}). Then
   * dx_i = dy_i * s_i^-beta - 2 alpha beta / size * x_i * sum over windows j containing i of dy_j y_j / s_j.
   *
   * <p>On images the forward LRN node is recomputed as x * s^-beta from the s and s^-beta this
   * gradient needs anyway, and ONNX Runtime's LRN kernel no longer runs in the gradient graph (bench/README.md,
   * eighteenth session).
   */
  private static void lrn(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long channels = ctx.shape(x)[1];
    if (channels < 0) {
      throw ctx.fail(node, "the channel dimension must be fixed");
    }
    LrnWindowSums.Parameters p = LrnWindowSums.parameters(node);
    if (p == null) {
      throw ctx.fail(node, "size " + Attributes.getInt(node, "size", 0) + " is not a positive window");
    }
    int rank = ctx.shape(x).length;
    NodeEmitter e = ctx.emit();
    LrnWindowSums.Scale scale = LrnWindowSums.scale(e, x, p, channels, rank);
    if (rank == 4) {
      e.opInto("Mul", List.of(x, scale.factor()), node.getOutput(0));
      ctx.recomputed(node);
    }
    String direct = e.mul(dy.get(0), scale.factor());
    String q = e.op("Div", List.of(e.mul(dy.get(0), node.getOutput(0)), scale.s()));
    // The transposed window: j ranges over [i - above, i + below].
    String spread = LrnWindowSums.channelWindowSum(e, q, p.above(), p.below(), channels, rank);
    String cross = e.mul(e.mul(x, spread), e.scalar(2f * p.alpha() * p.beta() / p.size()));
    ctx.accumulate(x, e.op("Sub", List.of(direct, cross)));
  }
}

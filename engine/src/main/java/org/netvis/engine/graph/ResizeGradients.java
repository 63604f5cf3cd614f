package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Resize (nearest, linear and cubic). At a fixed input size a resize is a separable linear map: along each
 * resized axis, output index o reads input indices with weights that depend only on o. The rule
 * builds that (out x in) matrix per axis at build time, with ONNX Runtime's coordinate formulas, and
 * the gradient multiplies by its transpose.
 */
final class ResizeGradients {
  private ResizeGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("Resize", ResizeGradients::resize);
  }

  private static void resize(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long[] xs = ctx.shape(x);
    long[] ys = ctx.shape(node.getOutput(0));
    int rank = xs.length;
    String mode = Attributes.getString(node, "mode", "nearest");
    if (!mode.equals("nearest") && !mode.equals("linear") && !mode.equals("cubic")) {
      throw ctx.fail(node, "mode '" + mode + "' is not supported (expected nearest, linear or cubic)");
    }
    if (Attributes.getInt(node, "antialias", 0) != 0) {
      throw ctx.fail(node, "antialias=1 is not supported (expected 0)");
    }
    String policy = Attributes.getString(node, "keep_aspect_ratio_policy", "stretch");
    if (!policy.equals("stretch")) {
      throw ctx.fail(node, "keep_aspect_ratio_policy '" + policy + "' is not supported (expected stretch)");
    }
    String transform = Attributes.getString(node, "coordinate_transformation_mode", "half_pixel");
    String nearestMode = Attributes.getString(node, "nearest_mode", "round_prefer_floor");
    float[] scales = scales(node, ctx, xs, ys);
    String g = dy.get(0);
    NodeEmitter e = ctx.emit();
    for (int axis = 0; axis < rank; axis++) {
      if (xs[axis] == ys[axis] && scales[axis] == 1f) {
        continue;
      }
      if (xs[axis] < 0) {
        throw ctx.fail(node, "resizing the batch axis is not supported");
      }
      float[] m = matrix(node, ctx, mode, transform, nearestMode, (int) xs[axis], (int) ys[axis], scales[axis]);
      String matrix = e.floats("resize_matrix", new long[] {ys[axis], xs[axis]}, m);
      if (axis == rank - 1) {
        g = e.op("MatMul", List.of(g, matrix));
      } else {
        long[] perm = new long[rank];
        for (int i = 0; i < rank; i++) {
          perm[i] = i;
        }
        perm[axis] = rank - 1;
        perm[rank - 1] = axis;
        String moved = e.op("Transpose", List.of(g), Attributes.of("perm", perm));
        g = e.op("Transpose", List.of(e.op("MatMul", List.of(moved, matrix))), Attributes.of("perm", perm));
      }
    }
    ctx.accumulate(x, g);
  }

  /** Per-axis scales: from the scales input, or output size / input size where sizes are given. */
  private static float[] scales(NodeProto node, BackwardContext ctx, long[] xs, long[] ys) {
    int rank = xs.length;
    long[] axes = Attributes.getInts(node, "axes");
    float[] out = new float[rank];
    Arrays.fill(out, 1f);
    String scalesName = input(node, 2);
    String sizesName = input(node, 3);
    float[] given = null;
    if (scalesName != null) {
      given = TensorProtos.toFloats(ctx.requireConstant(node, scalesName, "scales"));
      if (given.length == 0) {
        given = null;
      }
    }
    for (int i = 0; i < rank; i++) {
      if (xs[i] > 0) {
        out[i] = (float) ys[i] / xs[i];
      }
    }
    if (given != null) {
      for (int k = 0; k < given.length; k++) {
        int axis = axes == null ? k : (int) (axes[k] < 0 ? axes[k] + rank : axes[k]);
        out[axis] = given[k];
      }
    } else if (sizesName == null) {
      throw ctx.fail(node, "neither scales nor sizes is given");
    }
    return out;
  }

  /** The (out x in) interpolation matrix of one axis, row-major. */
  static float[] matrix(NodeProto node, BackwardContext ctx, String mode, String transform, String nearestMode,
      int in, int out, float scale) {
    float[] m = new float[out * in];
    for (int o = 0; o < out; o++) {
      float source = sourceCoordinate(node, ctx, transform, o, in, out, scale);
      if (mode.equals("nearest")) {
        int i = nearest(node, ctx, nearestMode, source);
        m[o * in + Math.max(0, Math.min(in - 1, i))] += 1f;
      } else if (mode.equals("cubic")) {
        cubicRow(node, m, o * in, in, source);
      } else {
        float clamped = Math.max(0f, Math.min(source, in - 1));
        int lo = Math.min((int) clamped, in - 1);
        int hi = Math.min(lo + 1, in - 1);
        if (lo == hi) {
          m[o * in + lo] += 1f;
        } else {
          float upper = clamped - lo;
          m[o * in + lo] += 1f - upper;
          m[o * in + hi] += upper;
        }
      }
    }
    return m;
  }

  /**
   * One output's cubic weights (ONNX's Keys kernel with {@code cubic_coeff_a}, default -0.75 as in
   * PyTorch's bicubic) on the four inputs around {@code source}: taps past an edge read the edge value,
   * or with {@code exclude_outside} weigh 0 and the others are renormalized to sum to 1.
   */
  private static void cubicRow(NodeProto node, float[] m, int row, int in, float source) {
    float a = Attributes.getFloat(node, "cubic_coeff_a", -0.75f);
    boolean exclude = Attributes.getInt(node, "exclude_outside", 0) != 0;
    int base = (int) Math.floor(source);
    float t = source - base;
    float[] w = {
        ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
        ((a + 2) * t - (a + 3)) * t * t + 1,
        ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
        ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a};
    float sum = 0;
    for (int k = 0; k < 4; k++) {
      int i = base - 1 + k;
      if (exclude && (i < 0 || i >= in)) {
        w[k] = 0;
      }
      sum += w[k];
    }
    for (int k = 0; k < 4; k++) {
      int i = Math.max(0, Math.min(in - 1, base - 1 + k));
      m[row + i] += exclude ? w[k] / sum : w[k];
    }
  }

  /** The ONNX coordinate_transformation_mode formulas, in float arithmetic as ONNX Runtime. */
  private static float sourceCoordinate(NodeProto node, BackwardContext ctx, String transform, int o, int in, int out,
      float scale) {
    return switch (transform) {
      case "half_pixel" -> (o + 0.5f) / scale - 0.5f;
      case "pytorch_half_pixel" -> out > 1 ? (o + 0.5f) / scale - 0.5f : 0f;
      case "align_corners" -> out == 1 ? 0f : o * (float) (in - 1) / (out - 1);
      case "asymmetric" -> o / scale;
      case "tf_half_pixel_for_nn" -> (o + 0.5f) / scale;
      case "half_pixel_symmetric" -> {
        float adjustment = out / (scale * in);
        float centre = in / 2f;
        float offset = centre * (1 - adjustment);
        yield offset + (o + 0.5f) / scale - 0.5f;
      }
      default -> throw ctx.fail(node, "coordinate_transformation_mode '" + transform + "' is not supported");
    };
  }

  private static int nearest(NodeProto node, BackwardContext ctx, String nearestMode, float x) {
    return switch (nearestMode) {
      case "round_prefer_floor" -> x == (int) x + 0.5f ? (int) Math.floor(x) : Math.round(x);
      case "round_prefer_ceil" -> (int) Math.round((double) x);
      case "floor" -> (int) Math.floor(x);
      case "ceil" -> (int) Math.ceil(x);
      default -> throw ctx.fail(node, "nearest_mode '" + nearestMode + "' is not supported");
    };
  }
}

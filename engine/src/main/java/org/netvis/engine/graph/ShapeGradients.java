package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Ops that move values without changing them: their gradients move the gradients back. */
final class ShapeGradients {
  private ShapeGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    NodeGradient reshapeBack = (node, dy, ctx) ->
        ctx.accumulate(node.getInput(0), ctx.emit().reshapeLike(dy.get(0), node.getInput(0)));
    rules.put("Flatten", reshapeBack);
    rules.put("Reshape", reshapeBack);
    rules.put("Squeeze", reshapeBack);
    rules.put("Unsqueeze", reshapeBack);
    rules.put("Transpose", ShapeGradients::transpose);
    rules.put("Concat", ShapeGradients::concat);
    rules.put("Split", ShapeGradients::split);
    rules.put("Slice", ShapeGradients::slice);
    rules.put("Gather", ShapeGradients::gather);
    rules.put("Pad", ShapeGradients::pad);
    rules.put("Tile", ShapeGradients::tile);
    rules.put("DepthToSpace", ShapeGradients::depthToSpace);
    // SpaceToDepth is the inverse of DepthToSpace in DCR order: its adjoint is that DepthToSpace.
    rules.put("SpaceToDepth", (node, dy, ctx) -> ctx.accumulate(node.getInput(0), ctx.emit().op("DepthToSpace",
        List.of(dy.get(0)), Attributes.of("blocksize", Attributes.getInt(node, "blocksize", 0)),
        Attributes.of("mode", "DCR"))));
    rules.put("Expand", (node, dy, ctx) ->
        ctx.accumulate(node.getInput(0), ctx.unbroadcast(dy.get(0), node.getOutput(0), node.getInput(0))));
  }

  /**
   * DepthToSpace moves values only, so its adjoint moves them back: SpaceToDepth for the DCR order
   * (its exact inverse); for CRD, the output gradient split into [N, C, H, b, W, b], transposed back
   * to [N, C, b, b, H, W] and joined into channels.
   */
  private static void depthToSpace(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    long b = Attributes.getInt(node, "blocksize", 0);
    if (!Attributes.getString(node, "mode", "DCR").equals("CRD")) {
      ctx.accumulate(x, e.op("SpaceToDepth", List.of(dy.get(0)), Attributes.of("blocksize", b)));
      return;
    }
    long[] xs = ctx.shape(x);
    if (xs.length != 4 || xs[1] < 0 || xs[2] < 0 || xs[3] < 0) {
      throw ctx.fail(node, "expected a 4-D input with known channels and size, got " + Arrays.toString(xs));
    }
    String split = e.op("Reshape", List.of(dy.get(0), e.longs("shape", -1, xs[1] / (b * b), xs[2], b, xs[3], b)));
    String back = e.op("Transpose", List.of(split), Attributes.of("perm", new long[] {0, 1, 3, 5, 2, 4}));
    ctx.accumulate(x, e.op("Reshape", List.of(back, e.longs("shape", -1, xs[1], xs[2], xs[3]))));
  }

  private static void transpose(NodeProto node, List<String> dy, BackwardContext ctx) {
    long[] perm = Attributes.getInts(node, "perm");
    int rank = ctx.shape(node.getInput(0)).length;
    if (perm == null) {
      perm = new long[rank];
      for (int i = 0; i < rank; i++) {
        perm[i] = rank - 1 - i;
      }
    }
    long[] inverse = new long[rank];
    for (int i = 0; i < rank; i++) {
      inverse[(int) perm[i]] = i;
    }
    ctx.accumulate(node.getInput(0), ctx.emit().op("Transpose", List.of(dy.get(0)), Attributes.of("perm", inverse)));
  }

  private static void concat(NodeProto node, List<String> dy, BackwardContext ctx) {
    int rank = ctx.shape(node.getOutput(0)).length;
    long axis = Attributes.getInt(node, "axis", 1);
    int a = (int) (axis < 0 ? axis + rank : axis);
    long[] sizes = new long[node.getInputCount()];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = ctx.shape(node.getInput(i))[a];
      if (sizes[i] < 0) {
        throw ctx.fail(node, "concatenation along the batch axis is not supported");
      }
    }
    NodeEmitter e = ctx.emit();
    String g = dy.get(0);
    List<String> relus = !ctx.backward().premasks() ? List.<String>of()
        : ElementwiseGradients.concatenatedReluSources(node, ctx);
    if (!relus.isEmpty() && relus.stream().noneMatch(ctx::isPremasked)) {
      // Every input is a Relu output read only here (SqueezeNet's Fire modules): their masks, taken
      // once from the joined output before the Split, are the same floats, and ONNX Runtime keeps the
      // joined mask and product in its blocked layout, where the parts' masks had to be reordered.
      g = e.mul(g, ElementwiseGradients.strictSide(e, node.getOutput(0), 0f, 1));
      relus.forEach(ctx::premasked);
    }
    List<String> parts = e.op("Split", List.of(g, e.longs("split", sizes)), sizes.length,
        Attributes.of("axis", (long) a));
    for (int i = 0; i < sizes.length; i++) {
      ctx.accumulate(node.getInput(i), parts.get(i));
    }
  }

  private static void split(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < node.getOutputCount(); i++) {
      parts.add(dy.get(i) != null ? dy.get(i) : e.zerosLike(node.getOutput(i)));
    }
    long axis = Attributes.getInt(node, "axis", 0);
    ctx.accumulate(node.getInput(0), e.op("Concat", parts, Attributes.of("axis", axis)));
  }

  /**
   * Slice with any steps: per sliced axis the output holds n elements taken every |step| from a
   * first index. The gradient reverses negative steps, spreads each element |step| apart (zeros
   * between) and pads the result back to the input's extent.
   */
  private static void slice(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long[] xs = ctx.shape(x);
    int rank = xs.length;
    long[] starts = TensorProtos.toLongs(ctx.requireConstant(node, node.getInput(1), "starts"));
    long[] ends = TensorProtos.toLongs(ctx.requireConstant(node, node.getInput(2), "ends"));
    String axesName = input(node, 3);
    String stepsName = input(node, 4);
    long[] axes = axesName == null ? null : TensorProtos.toLongs(ctx.requireConstant(node, axesName, "axes"));
    long[] steps = stepsName == null ? null : TensorProtos.toLongs(ctx.requireConstant(node, stepsName, "steps"));
    // Per axis of x: the first element taken, how many, how far apart, and whether in reverse.
    long[] first = new long[rank];
    long[] count = xs.clone();
    long[] stride = new long[rank];
    boolean[] reversed = new boolean[rank];
    Arrays.fill(stride, 1);
    boolean anyReversed = false;
    boolean anyStride = false;
    for (int i = 0; i < starts.length; i++) {
      int axis = (int) (axes == null ? i : (axes[i] < 0 ? axes[i] + rank : axes[i]));
      long step = steps == null ? 1 : steps[i];
      long dim = xs[axis];
      if (dim < 0) {
        if (step == 1 && starts[i] == 0 && ends[i] >= Integer.MAX_VALUE) {
          continue;
        }
        throw ctx.fail(node, "slicing along the batch axis is not supported");
      }
      long start = starts[i] < 0 ? starts[i] + dim : starts[i];
      long stop = ends[i] < 0 ? ends[i] + dim : ends[i];
      if (step > 0) {
        start = Math.max(0, Math.min(dim, start));
        stop = Math.max(0, Math.min(dim, stop));
        count[axis] = Math.max(0, (stop - start + step - 1) / step);
        first[axis] = start;
      } else {
        start = Math.max(-1, Math.min(dim - 1, start));
        stop = Math.max(-1, Math.min(dim - 1, stop));
        count[axis] = Math.max(0, (start - stop - step - 1) / -step);
        first[axis] = start + (count[axis] - 1) * step;
        reversed[axis] = true;
        anyReversed = true;
      }
      stride[axis] = Math.abs(step);
      anyStride |= stride[axis] > 1;
      if (count[axis] == 0) {
        throw ctx.fail(node, "the slice along axis " + axis + " is empty");
      }
    }
    NodeEmitter e = ctx.emit();
    if (anyStride && !anyReversed) {
      // Every-other slices (patch merging) may interleave with their siblings into x's gradient.
      ctx.accumulateStrided(x, dy.get(0), first, stride, count, () -> placed(e, dy.get(0), xs, first, count, stride,
          reversed));
      return;
    }
    int padded = 0;
    int padAxis = -1;
    for (int axis = 0; axis < rank; axis++) {
      if (xs[axis] >= 0 && (first[axis] != 0 || first[axis] + count[axis] * stride[axis] < xs[axis])) {
        padded++;
        padAxis = axis;
      }
    }
    if (padded == 1 && !anyReversed) {
      // One axis sliced (a channel split, attention's q, k and v): the gradient is one part of x.
      ctx.accumulatePart(x, dy.get(0), padAxis, first[padAxis], count[padAxis]);
    } else {
      ctx.accumulate(x, placed(e, dy.get(0), xs, first, count, stride, reversed));
    }
  }

  /**
   * A Slice's output gradient placed in its input's extent: negative steps reversed, each element
   * spread |step| apart (zeros between), padded back to the input's size.
   */
  private static String placed(NodeEmitter e, String g, long[] xs, long[] first, long[] count, long[] stride,
      boolean[] reversed) {
    int rank = xs.length;
    long[] pads = new long[2 * rank];
    boolean anyPad = false;
    for (int axis = 0; axis < rank; axis++) {
      if (xs[axis] < 0) {
        continue;
      }
      if (reversed[axis]) {
        // Reverse: the gradient of element k sits at first + (count - 1 - k) * |step|.
        g = e.op("Slice", List.of(g, e.longs("starts", -1), e.longs("ends", Long.MIN_VALUE), e.longs("axes", axis),
            e.longs("steps", -1)));
      }
      long spanEnd = first[axis] + count[axis] * stride[axis];
      if (stride[axis] > 1) {
        g = spread(e, g, rank, axis, stride[axis], count[axis]);
      }
      pads[axis] = first[axis];
      pads[axis + rank] = xs[axis] - Math.min(spanEnd, xs[axis]);
      anyPad |= pads[axis] != 0 || pads[axis + rank] != 0;
      if (spanEnd > xs[axis]) {
        // The spread's trailing zeros run past the input; crop them.
        g = e.op("Slice", List.of(g, e.longs("starts", 0), e.longs("ends", xs[axis] - first[axis]), e.longs("axes", axis)));
      }
    }
    return anyPad ? e.op("Pad", List.of(g, e.longs("pads", pads))) : g;
  }

  /** Puts stride - 1 zeros after each element along {@code axis}: (.., n, ..) becomes (.., n * stride, ..). */
  private static String spread(NodeEmitter e, String g, int rank, int axis, long stride, long count) {
    String shape = e.shapeOf(g);
    String expanded = e.op("Unsqueeze", List.of(g, e.longs("axes", axis + 1)));
    long[] pads = new long[2 * (rank + 1)];
    pads[axis + 1 + rank + 1] = stride - 1;
    String padded = e.op("Pad", List.of(expanded, e.longs("pads", pads)));
    String before = e.op("Slice", List.of(shape, e.longs("start", 0), e.longs("end", axis)));
    String after = e.op("Slice", List.of(shape, e.longs("start", axis + 1), e.longs("end", Long.MAX_VALUE)));
    String target = e.op("Concat", List.of(before, e.longs("spread", count * stride), after), Attributes.of("axis", 0L));
    return e.op("Reshape", List.of(padded, target));
  }

  /**
   * Gather whose indices the graph computes (from the image: token pruning's TopK, an ArgMax-chosen
   * token): the indices are a step function of the image, so only the data gets a gradient, scatter-added
   * at the positions the forward pass gathered, read from the recomputed indices (ScatterElements counts
   * negative ones from the end, as Gather does), as PyTorch's index_select backward does.
   */
  private static void gatherAtComputedIndices(NodeProto node, String dy, int axis, int rank, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String flat = e.op("Reshape", List.of(node.getInput(1), e.longs("flat", -1)));
    String indices = e.op("Cast", List.of(flat), Attributes.of("to", (long) TensorProto.DataType.INT64_VALUE));
    long[] indexShape = new long[rank];
    Arrays.fill(indexShape, 1);
    indexShape[axis] = -1;
    scatterAlong(node.getInput(0), dy, axis, -1, e.op("Reshape", List.of(indices, e.longs("index_shape", indexShape))),
        ctx);
  }

  /**
   * dx: {@code dy} with its gathered axis flattened to {@code count} positions (-1: as many as there are),
   * scatter-added at {@code placed}, the indices shaped 1 on every axis but {@code axis}.
   */
  private static void scatterAlong(String x, String dy, int axis, long count, String placed, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String shapeX = e.shapeOf(x);
    String before = e.op("Slice", List.of(shapeX, e.longs("start", 0), e.longs("end", axis)));
    String after = e.op("Slice", List.of(shapeX, e.longs("start", axis + 1), e.longs("end", Long.MAX_VALUE)));
    String flatShape = e.op("Concat", List.of(before, e.longs("count", count), after), Attributes.of("axis", 0L));
    String grads = e.op("Reshape", List.of(dy, flatShape));
    String expanded = e.op("Expand", List.of(placed, e.shapeOf(grads)));
    ctx.accumulate(x, e.op("ScatterElements", List.of(e.zerosLike(x), expanded, grads),
        Attributes.of("axis", (long) axis), Attributes.of("reduction", "add")));
  }

  /**
   * Gather: the gradient scatter-added back to the gathered positions (constant indices here, computed
   * ones in {@link #gatherAtComputedIndices}).
   */
  private static void gather(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long[] xs = ctx.shape(x);
    int rank = xs.length;
    long axisAttr = Attributes.getInt(node, "axis", 0);
    int axis = (int) (axisAttr < 0 ? axisAttr + rank : axisAttr);
    long dim = xs[axis];
    if (dim < 0) {
      throw ctx.fail(node, "gathering along the batch axis is not supported");
    }
    TensorProto indexProto = ctx.constant(node.getInput(1));
    if (indexProto == null) {
      gatherAtComputedIndices(node, dy.get(0), axis, rank, ctx);
      return;
    }
    long[] indices = TensorProtos.toLongs(indexProto);
    long[] normalized = new long[indices.length];
    for (int i = 0; i < indices.length; i++) {
      normalized[i] = indices[i] < 0 ? indices[i] + dim : indices[i];
    }
    NodeEmitter e = ctx.emit();
    if (indexProto.getDimsCount() == 0) {
      // One index (attention's q = qkv[0]): the gradient is one part of x.
      ctx.accumulatePart(x, e.op("Unsqueeze", List.of(dy.get(0), e.longs("axes", axis))), axis, normalized[0], 1);
      return;
    }
    if (indexProto.getDimsCount() == 1 && consecutive(normalized)) {
      ctx.accumulatePart(x, dy.get(0), axis, normalized[0], normalized.length);
      return;
    }
    // Bring the gradient to x's rank with the gathered positions flattened into one axis.
    long[] indexShape = new long[rank];
    Arrays.fill(indexShape, 1);
    indexShape[axis] = indices.length;
    String idx = e.fresh("gather_indices");
    e.initializers().add(TensorProtos.longs(idx, indexShape, normalized));
    scatterAlong(x, dy.get(0), axis, indices.length, idx, ctx);
  }

  private static boolean consecutive(long[] indices) {
    for (int i = 1; i < indices.length; i++) {
      if (indices[i] != indices[i - 1] + 1) {
        return false;
      }
    }
    return indices.length > 0;
  }

  /** Constant-mode Pad: crop the padding off the gradient (and zero-pad where the op cropped). */
  private static void pad(NodeProto node, List<String> dy, BackwardContext ctx) {
    String mode = Attributes.getString(node, "mode", "constant");
    if (!mode.equals("constant")) {
      throw ctx.fail(node, "mode '" + mode + "' is not supported (expected 'constant')");
    }
    String x = node.getInput(0);
    int rank = ctx.shape(x).length;
    long[] pads = padsOfEveryAxis(node, rank, ctx);
    long[] starts = new long[rank];
    long[] ends = new long[rank];
    long[] regrow = new long[2 * rank];
    boolean needsRegrow = false;
    for (int i = 0; i < rank; i++) {
      starts[i] = Math.max(pads[i], 0);
      ends[i] = pads[i + rank] > 0 ? -pads[i + rank] : Long.MAX_VALUE;
      regrow[i] = Math.max(-pads[i], 0);
      regrow[i + rank] = Math.max(-pads[i + rank], 0);
      needsRegrow |= regrow[i] > 0 || regrow[i + rank] > 0;
    }
    NodeEmitter e = ctx.emit();
    String g = e.op("Slice", List.of(dy.get(0), e.longs("starts", starts), e.longs("ends", ends)));
    if (needsRegrow) {
      g = e.op("Pad", List.of(g, e.longs("pads", regrow)));
    }
    ctx.accumulate(x, g);
  }

  /**
   * A Pad's amounts for every axis, [begin..., end...]: as given, or from opset 18 on, for the axes
   * its axes input names (negative ones from the end), zeros for the others.
   */
  private static long[] padsOfEveryAxis(NodeProto node, int rank, BackwardContext ctx) {
    long[] pads = TensorProtos.toLongs(ctx.requireConstant(node, node.getInput(1), "pads"));
    String axesInput = input(node, 3);
    long[] axes = axesInput == null ? null : TensorProtos.toLongs(ctx.requireConstant(node, axesInput, "axes"));
    if (axes == null) {
      if (pads.length != 2 * rank) {
        throw ctx.fail(node, pads.length + " pads for a rank-" + rank + " input (expected " + 2 * rank + ")");
      }
      return pads;
    }
    if (pads.length != 2 * axes.length) {
      throw ctx.fail(node, pads.length + " pads for " + axes.length + " axes (expected " + 2 * axes.length + ")");
    }
    long[] all = new long[2 * rank];
    for (int j = 0; j < axes.length; j++) {
      int axis = (int) (axes[j] < 0 ? axes[j] + rank : axes[j]);
      all[axis] = pads[j];
      all[axis + rank] = pads[j + axes.length];
    }
    return all;
  }

  /**
   * Tile lays out r copies of each axis of size d as index k * d + j; reshaping the gradient to
   * interleaved (r, d) pairs and summing the r axes adds the copies back together.
   */
  private static void tile(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    long[] xs = ctx.shape(x);
    long[] repeats = TensorProtos.toLongs(ctx.requireConstant(node, node.getInput(1), "repeats"));
    long[] split = new long[2 * xs.length];
    long[] sumAxes = new long[xs.length];
    for (int i = 0; i < xs.length; i++) {
      if (xs[i] < 0 && repeats[i] != 1) {
        throw ctx.fail(node, "tiling along the batch axis is not supported");
      }
      split[2 * i] = repeats[i];
      split[2 * i + 1] = xs[i];
      sumAxes[i] = 2L * i;
    }
    NodeEmitter e = ctx.emit();
    String pairs = e.op("Reshape", List.of(dy.get(0), e.longs("tile_pairs", split)));
    ctx.accumulate(x, e.op("ReduceSum", List.of(pairs, e.longs("axes", sumAxes)), Attributes.of("keepdims", 0L)));
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GridSample on images (spatial transformer networks, deformable sampling), bilinear or nearest,
 * zeros or border padding, either align_corners, as PyTorch's grid_sampler_2d_backward computes it:
 * the image's gradient is the output gradient scatter-added to the (up to four) pixels each sample
 * read, with their bilinear weights; the grid's is the image's slope between those pixels times the
 * output gradient, summed over channels, times d pixel / d grid ((W - 1) / 2 with align_corners,
 * W / 2 without), and zero where border padding clamped the coordinate. Nearest sampling has no
 * gradient with respect to the grid.
 */
final class GridSampleGradients {
  private GridSampleGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("GridSample", GridSampleGradients::gridSample);
    rules.put("AffineGrid", GridSampleGradients::affineGrid);
  }

  /**
   * AffineGrid (opset 20, 2-D): grid[n, h, w] = theta[n] [x_w, y_h, 1], with x_w and y_h the pixel
   * centres' normalized coordinates (align_corners: -1 + 2 w / (W - 1), else (2 w + 1) / W - 1). Linear
   * in theta: d theta[n] = dgrid[n]^T [x, y, 1] over all positions, one MatMul with those coordinates.
   */
  private static void affineGrid(NodeProto node, List<String> dy, BackwardContext ctx) {
    long[] grid = ctx.shape(node.getOutput(0));
    if (grid.length != 4 || grid[3] != 2) {
      throw ctx.fail(node, "its grid has shape " + BackwardContext.describe(grid) + "; expected a 2-D grid (N, H, W, 2)");
    }
    int height = (int) grid[1];
    int width = (int) grid[2];
    boolean alignCorners = Attributes.getInt(node, "align_corners", 0) != 0;
    float[] base = new float[height * width * 3];
    for (int h = 0; h < height; h++) {
      for (int w = 0; w < width; w++) {
        int i = (h * width + w) * 3;
        base[i] = normalized(w, width, alignCorners);
        base[i + 1] = normalized(h, height, alignCorners);
        base[i + 2] = 1f;
      }
    }
    NodeEmitter e = ctx.emit();
    String byPosition = e.op("Reshape", List.of(dy.get(0), e.longs("positions", 0, (long) height * width, 2)));
    String transposed = e.op("Transpose", List.of(byPosition), Attributes.of("perm", new long[] {0, 2, 1}));
    ctx.accumulate(node.getInput(0), e.op("MatMul", List.of(transposed,
        e.floats("affine_grid_base", new long[] {(long) height * width, 3}, base))));
  }

  private static float normalized(int index, int size, boolean alignCorners) {
    if (alignCorners) {
      return size == 1 ? 0f : (float) (-1 + 2.0 * index / (size - 1));
    }
    return (float) ((2.0 * index + 1) / size - 1);
  }

  /** One sampled coordinate axis: pixel positions and weights, and d position / d grid value. */
  private record Axis(String position, String inside, float slope, long size) {}

  private static void gridSample(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    String grid = node.getInput(1);
    long[] xs = ctx.shape(x);
    long[] gs = ctx.shape(grid);
    if (xs.length != 4 || gs.length != 4 || gs[3] != 2) {
      throw ctx.fail(node, "input " + BackwardContext.describe(xs) + " and grid " + BackwardContext.describe(gs)
          + "; expected an image (N, C, H, W) and a grid (N, H_out, W_out, 2)");
    }
    String mode = Attributes.getString(node, "mode", "bilinear");
    boolean linear = mode.equals("bilinear") || mode.equals("linear");
    if (!linear && !mode.equals("nearest")) {
      throw ctx.fail(node, "mode '" + mode + "' is not supported; expected bilinear (linear) or nearest");
    }
    String padding = Attributes.getString(node, "padding_mode", "zeros");
    if (!padding.equals("zeros") && !padding.equals("border")) {
      throw ctx.fail(node, "padding_mode '" + padding + "' is not supported; expected zeros or border");
    }
    boolean alignCorners = Attributes.getInt(node, "align_corners", 0) != 0;
    boolean border = padding.equals("border");
    NodeEmitter e = ctx.emit();
    long height = xs[2];
    long width = xs[3];
    long samples = gs[1] * gs[2];
    Axis across = axis(e, grid, 0, width, alignCorners, border);
    Axis down = axis(e, grid, 1, height, alignCorners, border);
    String flatGradient = e.op("Reshape", List.of(dy.get(0), e.longs("samples", 0, 0, samples)));
    String flatImage = e.op("Reshape", List.of(x, e.longs("pixels", 0, 0, height * width)));

    if (!linear) {
      String column = e.op("Round", List.of(across.position()));
      String row = e.op("Round", List.of(down.position()));
      Corner c = corner(e, row, column, null, xs[1], height, width, samples);
      if (ctx.isActive(x)) {
        String scattered = e.op("ScatterElements", List.of(e.zerosLike(flatImage), c.index(), e.mul(flatGradient, c.weight())),
            Attributes.of("axis", 2L), Attributes.of("reduction", "add"));
        ctx.accumulate(x, e.reshapeLike(scattered, x));
      }
      ctx.zeroGradient(grid);
      return;
    }

    String left = e.op("Floor", List.of(across.position()));
    String top = e.op("Floor", List.of(down.position()));
    String right = e.op("Add", List.of(left, e.scalar(1f)));
    String bottom = e.op("Add", List.of(top, e.scalar(1f)));
    String toRight = e.op("Sub", List.of(across.position(), left));
    String toLeft = e.op("Sub", List.of(e.scalar(1f), toRight));
    String toBottom = e.op("Sub", List.of(down.position(), top));
    String toTop = e.op("Sub", List.of(e.scalar(1f), toBottom));
    List<Corner> corners = List.of(
        corner(e, top, left, e.mul(toTop, toLeft), xs[1], height, width, samples),
        corner(e, top, right, e.mul(toTop, toRight), xs[1], height, width, samples),
        corner(e, bottom, left, e.mul(toBottom, toLeft), xs[1], height, width, samples),
        corner(e, bottom, right, e.mul(toBottom, toRight), xs[1], height, width, samples));
    if (ctx.isActive(x)) {
      List<String> indices = new ArrayList<>();
      List<String> updates = new ArrayList<>();
      for (Corner c : corners) {
        indices.add(c.index());
        updates.add(e.mul(flatGradient, c.weight()));
      }
      String scattered = e.op("ScatterElements", List.of(e.zerosLike(flatImage),
          e.op("Concat", indices, Attributes.of("axis", 2L)), e.op("Concat", updates, Attributes.of("axis", 2L))),
          Attributes.of("axis", 2L), Attributes.of("reduction", "add"));
      ctx.accumulate(x, e.reshapeLike(scattered, x));
    }
    if (!ctx.isActive(grid)) {
      return;
    }
    // The four pixels' values (zero outside the image), each [N, C, samples].
    List<String> values = new ArrayList<>();
    for (Corner c : corners) {
      values.add(e.mul(e.op("GatherElements", List.of(flatImage, c.index()), Attributes.of("axis", 2L)), c.inside()));
    }
    String topLeft = values.get(0);
    String topRight = values.get(1);
    String bottomLeft = values.get(2);
    String bottomRight = values.get(3);
    String flatToTop = flat(e, toTop, samples);
    String flatToBottom = flat(e, toBottom, samples);
    String flatToLeft = flat(e, toLeft, samples);
    String flatToRight = flat(e, toRight, samples);
    String slopeAcross = e.op("Add", List.of(e.mul(e.op("Sub", List.of(topRight, topLeft)), flatToTop),
        e.mul(e.op("Sub", List.of(bottomRight, bottomLeft)), flatToBottom)));
    String slopeDown = e.op("Add", List.of(e.mul(e.op("Sub", List.of(bottomLeft, topLeft)), flatToLeft),
        e.mul(e.op("Sub", List.of(bottomRight, topRight)), flatToRight)));
    String dAcross = gridComponent(e, e.mul(flatGradient, slopeAcross), across, gs);
    String dDown = gridComponent(e, e.mul(flatGradient, slopeDown), down, gs);
    ctx.accumulate(grid, e.op("Concat", List.of(dAcross, dDown), Attributes.of("axis", 3L)));
  }

  /** The grid's x (component 0) or y (1) as a pixel position, clamped with border padding. */
  private static Axis axis(NodeEmitter e, String grid, long component, long size, boolean alignCorners, boolean border) {
    String value = e.op("Gather", List.of(grid, e.longScalar("component", component)), Attributes.of("axis", 3L));
    float slope = alignCorners ? (size - 1) / 2f : size / 2f;
    // align_corners: (g + 1) / 2 * (size - 1); else ((g + 1) * size - 1) / 2.
    String position = e.op("Add", List.of(e.mul(value, e.scalar(slope)), e.scalar((size - 1) / 2f)));
    String inside = null;
    if (border) {
      inside = e.op("Cast", List.of(e.op("And", List.of(
          e.op("GreaterOrEqual", List.of(position, e.scalar(0f))),
          e.op("LessOrEqual", List.of(position, e.scalar(size - 1f)))))),
          Attributes.of("to", (long) TensorProto.DataType.FLOAT_VALUE));
      position = e.op("Clip", List.of(position, e.scalar(0f), e.scalar(size - 1f)));
    }
    return new Axis(position, inside, slope, size);
  }

  /**
   * A pixel each sample reads: its flat index per channel [N, C, samples], its weight (the bilinear
   * weight, or 1 where {@code weight} is null, times whether it lies inside) and whether it lies inside.
   */
  private record Corner(String index, String weight, String inside) {}

  private static Corner corner(NodeEmitter e, String row, String column, String weight, long channels, long height,
      long width, long samples) {
    String inside = e.op("Cast", List.of(e.op("And", List.of(
        e.op("And", List.of(e.op("GreaterOrEqual", List.of(row, e.scalar(0f))),
            e.op("LessOrEqual", List.of(row, e.scalar(height - 1f))))),
        e.op("And", List.of(e.op("GreaterOrEqual", List.of(column, e.scalar(0f))),
            e.op("LessOrEqual", List.of(column, e.scalar(width - 1f)))))))),
        Attributes.of("to", (long) TensorProto.DataType.FLOAT_VALUE));
    String clampedRow = e.op("Clip", List.of(row, e.scalar(0f), e.scalar(height - 1f)));
    String clampedColumn = e.op("Clip", List.of(column, e.scalar(0f), e.scalar(width - 1f)));
    String flatIndex = e.op("Cast", List.of(e.op("Add", List.of(e.mul(clampedRow, e.scalar(width)), clampedColumn))),
        Attributes.of("to", (long) TensorProto.DataType.INT64_VALUE));
    // Indices for every channel [N, C, samples], as ScatterElements and GatherElements take them.
    String index = e.op("Expand", List.of(flat(e, flatIndex, samples), e.longs("channels", 1, channels, 1)));
    String flatInside = flat(e, inside, samples);
    return new Corner(index, weight == null ? flatInside : e.mul(flat(e, weight, samples), flatInside), flatInside);
  }

  /** [N, H_out, W_out] as [N, 1, samples]. */
  private static String flat(NodeEmitter e, String t, long samples) {
    return e.op("Reshape", List.of(t, e.longs("samples", 0, 1, samples)));
  }

  /** One component of the grid's gradient, [N, H_out, W_out, 1], from the per-channel terms [N, C, samples]. */
  private static String gridComponent(NodeEmitter e, String terms, Axis axis, long[] gridShape) {
    String summed = e.op("ReduceSum", List.of(terms, e.longs("axes", 1)), Attributes.of("keepdims", 0L));
    String scaled = e.mul(summed, e.scalar(axis.slope()));
    String shaped = e.op("Reshape", List.of(scaled, e.longs("grid", 0, gridShape[1], gridShape[2], 1)));
    if (axis.inside() == null) {
      return shaped;
    }
    return e.mul(shaped, e.op("Unsqueeze", List.of(axis.inside(), e.longs("axes", 3))));
  }
}

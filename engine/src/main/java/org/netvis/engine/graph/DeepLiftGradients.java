package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Arrays;
import java.util.List;

/**
 * DeepLIFT's rescale rule (Shrikumar et al. 2017) as Captum's {@code DeepLift} applies it, for a graph
 * run on (input, reference) pairs: batch rows 2i and 2i + 1, both seeded. Each rule replaces a
 * nonlinearity's gradient by the ratio of its output's and its input's differences between the pair's
 * two rows, the same multiplier for both rows, and keeps the gradient where the input differs by less
 * than 1e-10 (Captum's eps):
 * <ul>
 *   <li>Relu, Sigmoid and Tanh: g * (y - y') / (x - x');
 *   <li>MaxPool (Captum's {@code maxpool}): with m = max(y, y'), the output gradient times m - y' put
 *       back at the input row's window winners and times y - m at the reference row's, over x - x'.
 * </ul>
 * Two departures from Captum, both where it loses the summation to F(x) - F(x'): the max pool adds
 * up what overlapping windows put back at a shared winner (Captum's max_unpool keeps one window's,
 * which drops most of a 3x3/2 pool's), and where the input did not change, both rows keep the input
 * row's gradient (Captum keeps each row's own, so the rows' gradients part, and a later max pool reads
 * both; its max pool even took the first image's: captum#1276). With them the attributions of a
 * network of these operators and linear ones add up to F(x) - F(x') to float32 rounding.
 * Other operators keep their gradient, as Captum's do (its hooks cover these modules and ELU and
 * Softmax). The rules read a pair on the first axis of each tensor they touch; a tensor whose first
 * axis is not the batch is refused.
 */
final class DeepLiftGradients {
  private DeepLiftGradients() {}

  /** Captum's eps: below this input difference the gradient is kept. */
  private static final float EPS = 1e-10f;

  /** The rule that replaces {@code opType}'s gradient under DeepLIFT, or null where the gradient stays. */
  static NodeGradient forOp(String opType) {
    return switch (opType) {
      case "Relu" -> (node, dy, ctx) -> rescale(node, dy, ctx,
          ElementwiseGradients.strictSide(ctx.emit(), node.getOutput(0), 0f, 1));
      case "Sigmoid" -> (node, dy, ctx) -> {
        NodeEmitter e = ctx.emit();
        String y = node.getOutput(0);
        rescale(node, dy, ctx, e.mul(y, e.op("Sub", List.of(e.scalar(1f), y))));
      };
      case "Tanh" -> (node, dy, ctx) -> {
        NodeEmitter e = ctx.emit();
        String y = node.getOutput(0);
        rescale(node, dy, ctx, e.op("Sub", List.of(e.scalar(1f), e.mul(y, y))));
      };
      case "MaxPool" -> DeepLiftGradients::maxPool;
      default -> null;
    };
  }

  /** The rescale rule for an element-wise nonlinearity whose plain derivative is {@code derivative}. */
  private static void rescale(NodeProto node, List<String> dy, BackwardContext ctx, String derivative) {
    String x = node.getInput(0);
    long[] shape = rows(node, x, ctx);
    NodeEmitter e = ctx.emit();
    String xs = pairs(e, x, shape);
    String ys = pairs(e, node.getOutput(0), shape);
    String dIn = e.op("Sub", List.of(member(e, xs, 0), member(e, xs, 1)));
    String dOut = e.op("Sub", List.of(member(e, ys, 0), member(e, ys, 1)));
    // The pair's rows carry the same gradient (both are seeded, and every rule here gives both the same).
    String rescaled = e.op("Div", List.of(e.mul(member(e, pairs(e, dy.get(0), shape), 0), dOut), dIn));
    String gradient = member(e, pairs(e, e.mul(dy.get(0), derivative), shape), 0);
    ctx.accumulate(x, unpair(e, choose(e, dIn, gradient, rescaled), shape));
  }

  private static void maxPool(NodeProto node, List<String> dy, BackwardContext ctx) {
    PoolingGradients.Winners w = PoolingGradients.Winners.of(node, ctx);
    long[] xShape = rows(node, w.x(), ctx);
    long[] yShape = rows(node, node.getOutput(0), ctx);
    NodeEmitter e = ctx.emit();
    String ys = pairs(e, w.values(), yShape);
    String y = member(e, ys, 0);
    String reference = member(e, ys, 1);
    String top = e.op("Max", List.of(y, reference));
    String dOut = unpair(e, e.op("Concat", List.of(e.op("Sub", List.of(top, reference)), e.op("Sub", List.of(y, top))),
        Attributes.of("axis", 1L)), yShape);
    String unpooled = pairs(e, w.scatter(e.mul(dy.get(0), dOut), ctx), xShape);
    String summed = e.op("Add", List.of(member(e, unpooled, 0), member(e, unpooled, 1)));
    String xs = pairs(e, w.x(), xShape);
    String dIn = e.op("Sub", List.of(member(e, xs, 0), member(e, xs, 1)));
    String gradient = member(e, pairs(e, w.scatter(dy.get(0), ctx), xShape), 0);
    ctx.accumulate(w.x(), unpair(e, choose(e, dIn, gradient, e.op("Div", List.of(summed, dIn))), xShape));
  }

  /** The input row's gradient where |dIn| < eps, else the rescaled product: [M, 1, rest], for both rows, [M, 2, rest]. */
  private static String choose(NodeEmitter e, String dIn, String gradient, String rescaled) {
    String small = e.op("Less", List.of(e.op("Abs", List.of(dIn)), e.scalar(EPS)));
    String row = e.op("Where", List.of(small, gradient, rescaled));
    return e.op("Concat", List.of(row, row), Attributes.of("axis", 1L));
  }

  /** The tensor's shape, which must hold one row per batch row and fixed other axes. */
  private static long[] rows(NodeProto node, String tensor, BackwardContext ctx) {
    if (!ctx.batchRows(tensor)) {
      throw ctx.fail(node, "DeepLIFT pairs each image with its reference along the batch axis, and '" + tensor
          + "' has shape " + Arrays.toString(ctx.shape(tensor)).replace("-1", "N") + " (expected the batch first"
          + " and fixed other axes)");
    }
    return ctx.shape(tensor);
  }

  /** [2M, rest] as [M, 2, rest]. */
  private static String pairs(NodeEmitter e, String tensor, long[] shape) {
    long[] paired = new long[shape.length + 1];
    paired[0] = -1;
    paired[1] = 2;
    System.arraycopy(shape, 1, paired, 2, shape.length - 1);
    return e.op("Reshape", List.of(tensor, e.longs("pairs", paired)));
  }

  /** [M, 2, rest] back to [2M, rest]. */
  private static String unpair(NodeEmitter e, String tensor, long[] shape) {
    long[] rows = shape.clone();
    rows[0] = -1;
    return e.op("Reshape", List.of(tensor, e.longs("rows", rows)));
  }

  /** The pair's first (0: the input) or second (1: the reference) row, [M, 1, rest]. */
  private static String member(NodeEmitter e, String pairs, int which) {
    return e.op("Slice", List.of(pairs, e.longs("start", which), e.longs("end", which + 1), e.longs("axis", 1)));
  }
}

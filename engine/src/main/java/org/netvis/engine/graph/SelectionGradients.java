package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Operators that pick or accumulate elements by position: GatherElements, GatherND and TopK's values
 * send each output gradient back to the element it came from (summed where one element was picked
 * twice, as PyTorch's gather and topk backward scatter-add); Trilu keeps the same triangle of the
 * gradient; CumSum's gradient is the cumulative sum the other way.
 */
final class SelectionGradients {
  private SelectionGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("GatherElements", (node, dy, ctx) -> scatterAdd(ctx, node.getInput(0), node.getInput(1), dy.get(0),
        Attributes.getInt(node, "axis", 0)));
    rules.put("TopK", (node, dy, ctx) -> scatterAdd(ctx, node.getInput(0), node.getOutput(1), dy.get(0),
        Attributes.getInt(node, "axis", -1)));
    rules.put("GatherND", SelectionGradients::gatherNd);
    rules.put("ScatterND", (node, dy, ctx) -> scatter(node, dy.get(0), ctx, "ScatterND", "GatherND"));
    rules.put("ScatterElements", (node, dy, ctx) -> scatter(node, dy.get(0), ctx, "ScatterElements",
        "GatherElements"));
    rules.put("Trilu", (node, dy, ctx) -> {
      List<String> inputs = new ArrayList<>(List.of(dy.get(0)));
      if (input(node, 1) != null) {
        inputs.add(node.getInput(1));
      }
      ctx.accumulate(node.getInput(0), ctx.emit().op("Trilu", inputs,
          Attributes.of("upper", Attributes.getInt(node, "upper", 1))));
    });
    rules.put("CumSum", (node, dy, ctx) -> {
      // y_i = sum of x_j up to i (exclusive: before i), so dx_j = sum of dy_i from j on (after j).
      long reverse = Attributes.getInt(node, "reverse", 0);
      ctx.accumulate(node.getInput(0), ctx.emit().op("CumSum", List.of(dy.get(0), node.getInput(1)),
          Attributes.of("exclusive", Attributes.getInt(node, "exclusive", 0)), Attributes.of("reverse", 1 - reverse)));
    });
  }

  /** dx = zeros with dy added at {@code indices} along {@code axis}. */
  private static void scatterAdd(BackwardContext ctx, String x, String indices, String dy, long axis) {
    NodeEmitter e = ctx.emit();
    ctx.accumulate(x, e.op("ScatterElements", List.of(e.zerosLike(x), indices, dy), Attributes.of("axis", axis),
        Attributes.of("reduction", "add")));
  }

  /**
   * ScatterND and ScatterElements (in-place assignment, index_put_): y is the data with the updates
   * written at the indices. The data's gradient is dy with those positions zeroed (with reduction add,
   * dy itself); the updates' gradient is dy gathered at the indices, as PyTorch's index_put_ backward.
   */
  private static void scatter(NodeProto node, String dy, BackwardContext ctx, String scatter, String gather) {
    String reduction = Attributes.getString(node, "reduction", "none");
    if (!reduction.equals("none") && !reduction.equals("add")) {
      throw ctx.fail(node, "reduction '" + reduction + "' is not supported (expected none or add)");
    }
    NodeEmitter e = ctx.emit();
    String data = node.getInput(0);
    String indices = node.getInput(1);
    String updates = node.getInput(2);
    AttributeProto[] axis = scatter.equals("ScatterElements")
        ? new AttributeProto[] {Attributes.of("axis", Attributes.getInt(node, "axis", 0))}
        : new AttributeProto[0];
    if (ctx.isActive(data)) {
      ctx.accumulate(data, reduction.equals("add") ? dy
          : e.op(scatter, List.of(dy, indices, e.zerosLike(updates)), axis));
    }
    if (ctx.isActive(updates)) {
      ctx.accumulate(updates, e.op(gather, List.of(dy, indices), axis));
    }
  }

  private static void gatherNd(NodeProto node, List<String> dy, BackwardContext ctx) {
    if (Attributes.getInt(node, "batch_dims", 0) != 0) {
      throw ctx.fail(node, "batch_dims " + Attributes.getInt(node, "batch_dims", 0) + " is not supported; expected 0");
    }
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    ctx.accumulate(x, e.op("ScatterND", List.of(e.zerosLike(x), node.getInput(1), dy.get(0)),
        Attributes.of("reduction", "add")));
  }
}

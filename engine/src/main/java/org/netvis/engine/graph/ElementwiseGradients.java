package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;
import java.util.Map;

/** Activations, arithmetic, Softmax and the pass-through ops. */
final class ElementwiseGradients {
  private ElementwiseGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    NodeGradient passThrough = (node, dy, ctx) -> ctx.accumulate(node.getInput(0), dy.get(0));
    rules.put("Identity", passThrough);
    rules.put("Dropout", passThrough);
    rules.put("Cast", passThrough);
    rules.put("Relu", ElementwiseGradients::relu);
    rules.put("Clip", ElementwiseGradients::clip);
    rules.put("Sigmoid", ElementwiseGradients::sigmoid);
    rules.put("HardSigmoid", ElementwiseGradients::hardSigmoid);
    rules.put("HardSwish", ElementwiseGradients::hardSwish);
    rules.put("Add", ElementwiseGradients::add);
    rules.put("Sub", ElementwiseGradients::sub);
    rules.put("Mul", ElementwiseGradients::mul);
    rules.put("Div", ElementwiseGradients::div);
    rules.put("Sum", ElementwiseGradients::sum);
    rules.put("Neg", (node, dy, ctx) -> ctx.accumulate(node.getInput(0), ctx.emit().op("Neg", List.of(dy.get(0)))));
    rules.put("Softmax", ElementwiseGradients::softmax);
  }

  /** PyTorch's threshold_backward: the gradient passes where the output is positive. */
  private static void relu(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String mask = e.op("Greater", List.of(node.getOutput(0), e.scalar(0f)));
    ctx.accumulate(node.getInput(0), e.op("Where", List.of(mask, dy.get(0), e.scalar(0f))));
  }

  /** Passes where min < x < max (strict, as PyTorch's hardtanh/ReLU6 backward). */
  private static void clip(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    String lo = input(node, 1);
    String hi = input(node, 2);
    String mask = null;
    if (lo != null) {
      mask = e.op("Greater", List.of(x, lo));
    }
    if (hi != null) {
      String below = e.op("Less", List.of(x, hi));
      mask = mask == null ? below : e.op("And", List.of(mask, below));
    }
    String grad = mask == null ? dy.get(0) : e.op("Where", List.of(mask, dy.get(0), e.scalar(0f)));
    ctx.accumulate(x, grad);
  }

  private static void sigmoid(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String y = node.getOutput(0);
    String oneMinus = e.op("Sub", List.of(e.scalar(1f), y));
    ctx.accumulate(node.getInput(0), e.mul(dy.get(0), e.mul(y, oneMinus)));
  }

  private static void hardSigmoid(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    float alpha = Attributes.getFloat(node, "alpha", 0.2f);
    String y = node.getOutput(0);
    String mask = e.op("And", List.of(e.op("Greater", List.of(y, e.scalar(0f))), e.op("Less", List.of(y, e.scalar(1f)))));
    String scaled = e.mul(dy.get(0), e.scalar(alpha));
    ctx.accumulate(node.getInput(0), e.op("Where", List.of(mask, scaled, e.scalar(0f))));
  }

  /** PyTorch's hardswish_backward: 0 below -3, x/3 + 1/2 up to 3, 1 above. */
  private static void hardSwish(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    String middle = e.op("Add", List.of(e.op("Div", List.of(x, e.scalar(3f))), e.scalar(0.5f)));
    String upper = e.op("Where", List.of(e.op("LessOrEqual", List.of(x, e.scalar(3f))), middle, e.scalar(1f)));
    String slope = e.op("Where", List.of(e.op("Less", List.of(x, e.scalar(-3f))), e.scalar(0f), upper));
    ctx.accumulate(x, e.mul(dy.get(0), slope));
  }

  private static void add(NodeProto node, List<String> dy, BackwardContext ctx) {
    String y = node.getOutput(0);
    for (int i = 0; i < 2; i++) {
      if (ctx.isActive(node.getInput(i))) {
        ctx.accumulate(node.getInput(i), ctx.unbroadcast(dy.get(0), y, node.getInput(i)));
      }
    }
  }

  private static void sum(NodeProto node, List<String> dy, BackwardContext ctx) {
    String y = node.getOutput(0);
    for (String in : node.getInputList()) {
      if (ctx.isActive(in)) {
        ctx.accumulate(in, ctx.unbroadcast(dy.get(0), y, in));
      }
    }
  }

  private static void sub(NodeProto node, List<String> dy, BackwardContext ctx) {
    String y = node.getOutput(0);
    if (ctx.isActive(node.getInput(0))) {
      ctx.accumulate(node.getInput(0), ctx.unbroadcast(dy.get(0), y, node.getInput(0)));
    }
    if (ctx.isActive(node.getInput(1))) {
      String neg = ctx.emit().op("Neg", List.of(dy.get(0)));
      ctx.accumulate(node.getInput(1), ctx.unbroadcast(neg, y, node.getInput(1)));
    }
  }

  private static void mul(NodeProto node, List<String> dy, BackwardContext ctx) {
    String a = node.getInput(0);
    String b = node.getInput(1);
    String y = node.getOutput(0);
    if (ctx.isActive(a)) {
      ctx.accumulate(a, ctx.unbroadcast(ctx.emit().mul(dy.get(0), b), y, a));
    }
    if (ctx.isActive(b)) {
      ctx.accumulate(b, ctx.unbroadcast(ctx.emit().mul(dy.get(0), a), y, b));
    }
  }

  private static void div(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String a = node.getInput(0);
    String b = node.getInput(1);
    String y = node.getOutput(0);
    if (ctx.isActive(a)) {
      ctx.accumulate(a, ctx.unbroadcast(e.op("Div", List.of(dy.get(0), b)), y, a));
    }
    if (ctx.isActive(b)) {
      // d(a/b)/db = -a/b^2 = -y/b
      String g = e.op("Neg", List.of(e.op("Div", List.of(e.mul(dy.get(0), y), b))));
      ctx.accumulate(b, ctx.unbroadcast(g, y, b));
    }
  }

  /** dx = y * (dy - sum(dy * y, axis)). Opset 13+ semantics: one axis. */
  private static void softmax(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String y = node.getOutput(0);
    long axis = Attributes.getInt(node, "axis", -1);
    String dot = e.op("ReduceSum", List.of(e.mul(dy.get(0), y), e.longs("axes", axis)), Attributes.of("keepdims", 1L));
    ctx.accumulate(node.getInput(0), e.mul(y, e.op("Sub", List.of(dy.get(0), dot))));
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;
import java.util.Map;

/**
 * Sin, Cos, Tan and their inverses, and the hyperbolic functions and theirs (Fourier features,
 * periodic activations): each dy times the function's derivative, as PyTorch's backward formulas
 * write it.
 */
final class TrigonometricGradients {
  private TrigonometricGradients() {}

  /** The derivative of a function of x (its output y at hand) as nodes. */
  private interface Derivative {
    String of(NodeEmitter e, String x, String y);
  }

  static void register(Map<String, NodeGradient> rules) {
    put(rules, "Sin", (e, x, y) -> e.op("Cos", List.of(x)));
    put(rules, "Cos", (e, x, y) -> e.op("Neg", List.of(e.op("Sin", List.of(x)))));
    // 1 + tan(x)^2
    put(rules, "Tan", (e, x, y) -> e.op("Add", List.of(e.scalar(1f), e.mul(y, y))));
    put(rules, "Asin", (e, x, y) -> reciprocalRoot(e, e.op("Sub", List.of(e.scalar(1f), e.mul(x, x)))));
    put(rules, "Acos", (e, x, y) -> e.op("Neg", List.of(reciprocalRoot(e, e.op("Sub", List.of(e.scalar(1f), e.mul(x, x)))))));
    put(rules, "Atan", (e, x, y) -> e.op("Reciprocal", List.of(e.op("Add", List.of(e.scalar(1f), e.mul(x, x))))));
    put(rules, "Sinh", (e, x, y) -> e.op("Cosh", List.of(x)));
    put(rules, "Cosh", (e, x, y) -> e.op("Sinh", List.of(x)));
    put(rules, "Asinh", (e, x, y) -> reciprocalRoot(e, e.op("Add", List.of(e.mul(x, x), e.scalar(1f)))));
    put(rules, "Acosh", (e, x, y) -> reciprocalRoot(e, e.op("Sub", List.of(e.mul(x, x), e.scalar(1f)))));
    put(rules, "Atanh", (e, x, y) -> e.op("Reciprocal", List.of(e.op("Sub", List.of(e.scalar(1f), e.mul(x, x))))));
  }

  private static void put(Map<String, NodeGradient> rules, String op, Derivative derivative) {
    rules.put(op, (NodeProto node, List<String> dy, BackwardContext ctx) -> {
      NodeEmitter e = ctx.emit();
      String x = node.getInput(0);
      ctx.accumulate(x, e.mul(dy.get(0), derivative.of(e, x, node.getOutput(0))));
    });
  }

  private static String reciprocalRoot(NodeEmitter e, String t) {
    return e.op("Reciprocal", List.of(e.op("Sqrt", List.of(t))));
  }
}

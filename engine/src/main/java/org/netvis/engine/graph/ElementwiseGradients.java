package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
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
    rules.put("Add", ElementwiseGradients::sum);
    rules.put("Sub", ElementwiseGradients::sub);
    rules.put("Mul", ElementwiseGradients::mul);
    rules.put("Div", ElementwiseGradients::div);
    rules.put("Sum", ElementwiseGradients::sum);
    rules.put("Mean", ElementwiseGradients::mean);
    rules.put("Neg", (node, dy, ctx) -> ctx.accumulate(node.getInput(0), ctx.emit().op("Neg", List.of(dy.get(0)))));
    rules.put("Softmax", ElementwiseGradients::softmax);
    rules.put("LogSoftmax", ElementwiseGradients::logSoftmax);
    rules.put("Tanh", (node, dy, ctx) -> {
      NodeEmitter e = ctx.emit();
      String y = node.getOutput(0);
      ctx.accumulate(node.getInput(0), e.mul(dy.get(0), e.op("Sub", List.of(e.scalar(1f), e.mul(y, y)))));
    });
    rules.put("Exp", (node, dy, ctx) -> ctx.accumulate(node.getInput(0), ctx.emit().mul(dy.get(0), node.getOutput(0))));
    rules.put("Log", (node, dy, ctx) ->
        ctx.accumulate(node.getInput(0), ctx.emit().op("Div", List.of(dy.get(0), node.getInput(0)))));
    rules.put("Sqrt", (node, dy, ctx) -> {
      NodeEmitter e = ctx.emit();
      String twiceY = e.mul(node.getOutput(0), e.scalar(2f));
      ctx.accumulate(node.getInput(0), e.op("Div", List.of(dy.get(0), twiceY)));
    });
    rules.put("Reciprocal", (node, dy, ctx) -> {
      NodeEmitter e = ctx.emit();
      String y = node.getOutput(0);
      ctx.accumulate(node.getInput(0), e.op("Neg", List.of(e.mul(dy.get(0), e.mul(y, y)))));
    });
    rules.put("Erf", ElementwiseGradients::erf);
    rules.put("Abs", (node, dy, ctx) ->
        ctx.accumulate(node.getInput(0), ctx.emit().mul(dy.get(0), ctx.emit().op("Sign", List.of(node.getInput(0))))));
    rules.put("Pow", ElementwiseGradients::pow);
    rules.put("Max", ElementwiseGradients::extremum);
    rules.put("Min", ElementwiseGradients::extremum);
    rules.put("Where", ElementwiseGradients::where);
    // Step functions: zero almost everywhere, as PyTorch's floor, ceil, round, sign backward (and Hardmax's one-hot).
    for (String step : List.of("Floor", "Ceil", "Round", "Sign", "Hardmax")) {
      rules.put(step, (node, dy, ctx) -> ctx.zeroGradient(node.getInput(0)));
    }
    rules.put("LeakyRelu", (node, dy, ctx) -> {
      NodeEmitter e = ctx.emit();
      float alpha = Attributes.getFloat(node, "alpha", 0.01f);
      String x = node.getInput(0);
      String positive = e.op("Greater", List.of(x, e.scalar(0f)));
      ctx.accumulate(x, e.op("Where", List.of(positive, dy.get(0), e.mul(dy.get(0), e.scalar(alpha)))));
    });
  }

  /** d erf(x)/dx = 2/sqrt(pi) * exp(-x^2). */
  private static void erf(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    String bell = e.op("Exp", List.of(e.op("Neg", List.of(e.mul(x, x)))));
    ctx.accumulate(x, e.mul(dy.get(0), e.mul(bell, e.scalar((float) (2.0 / Math.sqrt(Math.PI))))));
  }

  /**
   * Pow with an exponent that does not depend on the input: d(a^b)/da = b * a^(b-1), written as
   * 2a for squares (exact) and zero for b = 0, as PyTorch's pow_backward.
   */
  private static void pow(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String a = node.getInput(0);
    String b = node.getInput(1);
    if (ctx.isActive(b)) {
      throw ctx.fail(node, "exponent '" + b + "' depends on the input; expected a constant exponent");
    }
    if (!ctx.isActive(a)) {
      return;
    }
    ai.onnx.proto.OnnxMl.TensorProto exponent = ctx.requireConstant(node, b, "exponent");
    float[] p = TensorProtos.toFloats(exponent);
    long[] shape = TensorProtos.shape(exponent);
    String grad;
    if (java.util.Arrays.stream(toDoubles(p)).allMatch(v -> v == 2.0)) {
      grad = e.mul(dy.get(0), e.mul(a, e.scalar(2f)));
    } else if (java.util.Arrays.stream(toDoubles(p)).allMatch(v -> v == 1.0)) {
      grad = dy.get(0);
    } else {
      float[] minusOne = new float[p.length];
      for (int i = 0; i < p.length; i++) {
        minusOne[i] = p[i] - 1f;
      }
      String power = e.op("Pow", List.of(a, e.floats("pow_exponent_minus_one", shape, minusOne)));
      String slope = e.mul(e.floats("pow_exponent", shape, p), power);
      // 0 * a^-1 at a = 0 would be NaN; PyTorch's gradient of a^0 is zero.
      boolean anyZero = java.util.Arrays.stream(toDoubles(p)).anyMatch(v -> v == 0.0);
      if (anyZero) {
        String isZero = e.op("Equal", List.of(e.floats("pow_exponent", shape, p), e.scalar(0f)));
        slope = e.op("Where", List.of(isZero, e.scalar(0f), slope));
      }
      grad = e.mul(dy.get(0), slope);
    }
    ctx.accumulate(a, ctx.unbroadcast(grad, node.getOutput(0), a));
  }

  private static double[] toDoubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /**
   * Elementwise Max and Min over any number of inputs: each input equal to the result gets an
   * equal share of the gradient (PyTorch's maximum/minimum give half to each side of a tie).
   */
  private static void extremum(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String y = node.getOutput(0);
    if (node.getInputCount() == 1) {
      ctx.accumulate(node.getInput(0), dy.get(0));
      return;
    }
    List<String> masks = new java.util.ArrayList<>();
    for (String in : node.getInputList()) {
      String equal = e.op("Equal", List.of(in, y));
      masks.add(e.op("Cast", List.of(equal), Attributes.of("to", (long) ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE)));
    }
    String count = e.op("Sum", masks);
    String share = e.op("Div", List.of(dy.get(0), count));
    for (int i = 0; i < node.getInputCount(); i++) {
      String in = node.getInput(i);
      if (ctx.isActive(in)) {
        ctx.accumulate(in, ctx.unbroadcast(e.mul(share, masks.get(i)), y, in));
      }
    }
  }

  /** The gradient goes to X where the condition holds and to Y elsewhere. */
  private static void where(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String cond = node.getInput(0);
    String y = node.getOutput(0);
    String zero = e.scalar(0f);
    if (ctx.isActive(node.getInput(1))) {
      ctx.accumulate(node.getInput(1), ctx.unbroadcast(e.op("Where", List.of(cond, dy.get(0), zero)), y, node.getInput(1)));
    }
    if (ctx.isActive(node.getInput(2))) {
      ctx.accumulate(node.getInput(2), ctx.unbroadcast(e.op("Where", List.of(cond, zero, dy.get(0))), y, node.getInput(2)));
    }
  }

  /** dx = dy - softmax(x) * sum(dy, axis), with softmax(x) = exp(y). Opset 13+ semantics: one axis. */
  private static void logSoftmax(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    long axis = Attributes.getInt(node, "axis", -1);
    String total = e.op("ReduceSum", List.of(dy.get(0), e.longs("axes", axis)), Attributes.of("keepdims", 1L));
    String softmax = e.op("Exp", List.of(node.getOutput(0)));
    ctx.accumulate(node.getInput(0), e.op("Sub", List.of(dy.get(0), e.mul(softmax, total))));
  }

  /**
   * The Relu outputs that {@code x} is, or concatenates, when x and each of them have one reader
   * only (so every gradient they get comes through x); empty otherwise.
   */
  static List<String> soleReluSources(String x, BackwardContext ctx) {
    NodeProto producer = ctx.producer(x);
    if (ctx.readers(x) != 1 || producer == null
        || !(producer.getDomain().isEmpty() || producer.getDomain().equals("ai.onnx"))) {
      return List.of();
    }
    return producer.getOpType().equals("Relu") ? List.of(x)
        : producer.getOpType().equals("Concat") ? concatenatedReluSources(producer, ctx) : List.of();
  }

  /** The Relu outputs a Concat joins when each is read there only, and every input is one; else empty. */
  static List<String> concatenatedReluSources(NodeProto concat, BackwardContext ctx) {
    List<String> relus = new ArrayList<>();
    for (String part : concat.getInputList()) {
      List<String> r = ctx.isActive(part) ? soleReluSources(part, ctx) : List.of();
      if (r.isEmpty()) {
        return List.of();
      }
      relus.addAll(r);
    }
    return relus;
  }

  /**
   * PyTorch's threshold_backward: the gradient passes where the output is positive. Guided
   * backpropagation also drops negative gradients; the deconvnet drops negative gradients only.
   */
  private static void relu(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String g = dy.get(0);
    if (ctx.backward() != VjpSpec.Backward.GRADIENT) {
      g = e.op("Relu", List.of(g));
      if (ctx.backward() == VjpSpec.Backward.DECONVNET) {
        ctx.accumulate(node.getInput(0), g);
        return;
      }
    }
    if (ctx.isPremasked(node.getOutput(0))) {
      // Already zero wherever y is: the max pool that reads y masked its own output gradient.
      ctx.accumulate(node.getInput(0), g);
      return;
    }
    // The mask y > 0 as a float from HardSigmoid nodes, which run on every intra-op thread (ONNX
    // Runtime's Where runs on one; a Mul by a scalar costs two passes).
    String mask = strictSide(e, node.getOutput(0), 0f, 1);
    ctx.accumulate(node.getInput(0), e.mul(g, mask));
  }

  /**
   * Passes where min < x < max (strict, as PyTorch's hardtanh/ReLU6 backward). With constant bounds
   * (ReLU6) the mask comes from the output y through {@link #strictSide}; other bounds compare.
   */
  private static void clip(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    String y = node.getOutput(0);
    String lo = input(node, 1);
    String hi = input(node, 2);
    Float loValue = lo == null ? Float.valueOf(Float.NEGATIVE_INFINITY) : scalarConstant(ctx, lo);
    Float hiValue = hi == null ? Float.valueOf(Float.POSITIVE_INFINITY) : scalarConstant(ctx, hi);
    if (loValue != null && hiValue != null) {
      // Both masks first, then one Mul into the gradient: their nodes read y one after the other
      // (MobileNetV2's VJP 3 to 7% faster at batch 1 and 8 than masking the gradient twice; the
      // same floats, as each mask is exactly 0 or 1).
      String mask = loValue == Float.NEGATIVE_INFINITY ? null : strictSide(e, y, loValue, 1);
      if (hiValue != Float.POSITIVE_INFINITY) {
        String below = strictSide(e, y, hiValue, -1);
        mask = mask == null ? below : e.mul(mask, below);
      }
      ctx.accumulate(x, mask == null ? dy.get(0) : e.mul(dy.get(0), mask));
      return;
    }
    String mask = null;
    if (lo != null) {
      mask = e.op("Greater", List.of(x, lo));
    }
    if (hi != null) {
      String below = e.op("Less", List.of(x, hi));
      mask = mask == null ? below : e.op("And", List.of(mask, below));
    }
    ctx.accumulate(x, e.op("Where", List.of(mask, dy.get(0), e.scalar(0f))));
  }

  /** The value of a one-element constant, or null when the tensor is not one. */
  private static Float scalarConstant(BackwardContext ctx, String tensor) {
    ai.onnx.proto.OnnxMl.TensorProto t = ctx.constant(tensor);
    if (t == null) {
      return null;
    }
    float[] v = TensorProtos.toFloats(t);
    return v.length == 1 ? v[0] : null;
  }

  /**
   * A float mask of y against a constant bound: exactly 1 where y > bound (side 1) or y < bound
   * (side -1), exactly 0 at the bound and beyond it on the other side. Built from HardSigmoid,
   * max(0, min(1, a y + b)), which ONNX Runtime runs on every intra-op thread (its Where on one):
   * with a = side 2^k and b = -side 2^k bound, a y + b is 0 at the bound (both products exact),
   * negative (or overflowing towards 0) on the other side, and on the passing side at least 2^k
   * times the gap between the bound and the float next to it (or overflowing towards 1); further
   * stages HardSigmoid(2^127 v) lift that smallest value to 1. The bound 0 takes two stages
   * (2^-149 -> 2^-22 -> 1), as Relu's mask; ReLU6's bound 6 takes one.
   */
  static String strictSide(NodeEmitter e, String y, float bound, int side) {
    int k = 127;
    while (k > 0 && Math.abs((double) bound) * Math.scalb(1.0, k) > Float.MAX_VALUE / 2) {
      k--;
    }
    double gap = side > 0 ? (double) Math.nextUp(bound) - bound : bound - (double) Math.nextDown(bound);
    double smallest = gap * Math.scalb(1.0, k);
    float scale = (float) Math.scalb(1.0, k);
    String mask = e.op("HardSigmoid", List.of(y), Attributes.of("alpha", side * scale),
        Attributes.of("beta", 0f - side * scale * bound));
    AttributeProto lift = Attributes.of("alpha", (float) Math.scalb(1.0, 127));
    AttributeProto zero = Attributes.of("beta", 0f);
    for (; smallest < 1; smallest *= Math.scalb(1.0, 127)) {
      mask = e.op("HardSigmoid", List.of(mask), lift, zero);
    }
    return mask;
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
    // PyTorch's branches x < -3 and x <= 3 as exact 0/1 masks, without Where (one thread).
    String above = strictSide(e, x, 3f, 1);
    String inside = e.op("Sub", List.of(e.op("Sub", List.of(e.scalar(1f), above)), strictSide(e, x, -3f, -1)));
    String slope = e.op("Add", List.of(e.mul(middle, inside), above));
    ctx.accumulate(x, e.mul(dy.get(0), slope));
  }

  /** Add and Sum: every input gets the output's gradient, summed over what it broadcast along. */
  private static void sum(NodeProto node, List<String> dy, BackwardContext ctx) {
    toEveryInput(node, dy.get(0), ctx);
  }

  /** The elementwise mean of its inputs: each input gets dy / n. */
  private static void mean(NodeProto node, List<String> dy, BackwardContext ctx) {
    toEveryInput(node, ctx.emit().mul(dy.get(0), ctx.emit().scalar(1f / node.getInputCount())), ctx);
  }

  private static void toEveryInput(NodeProto node, String gradient, BackwardContext ctx) {
    String y = node.getOutput(0);
    for (String in : node.getInputList()) {
      if (ctx.isActive(in)) {
        ctx.accumulate(in, ctx.unbroadcast(gradient, y, in));
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

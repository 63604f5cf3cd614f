package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;
import java.util.Map;

/**
 * The exponential-linear family (Elu, Selu, Celu), PRelu, ThresholdedRelu, Softplus, Softsign, Mish
 * and Gelu, each with PyTorch's backward formula (its {@code elu_backward}, {@code prelu} backward,
 * {@code threshold_backward}, {@code softplus_backward}, {@code mish_backward} and
 * {@code gelu_backward}), including the side a kink's own point takes: Elu's family and PRelu take
 * their negative branch at x = 0.
 */
final class ActivationGradients {
  private ActivationGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    // PyTorch's elu_backward coefficients (positive scale, negative scale, input scale) of each.
    rules.put("Elu", (node, dy, ctx) -> exponentialLinear(node, dy, ctx, 1f, Attributes.getFloat(node, "alpha", 1f), 1f));
    // Selu's defaults are PyTorch's constants rounded to float, as ONNX defines them.
    rules.put("Selu", (node, dy, ctx) -> {
      float gamma = Attributes.getFloat(node, "gamma", 1.05070102214813232421875f);
      exponentialLinear(node, dy, ctx, gamma, Attributes.getFloat(node, "alpha", 1.67326319217681884765625f) * gamma, 1f);
    });
    rules.put("Celu", (node, dy, ctx) -> {
      float alpha = Attributes.getFloat(node, "alpha", 1f);
      exponentialLinear(node, dy, ctx, 1f, alpha, 1f / alpha);
    });
    rules.put("PRelu", ActivationGradients::prelu);
    rules.put("ThresholdedRelu", (node, dy, ctx) -> {
      // threshold_backward: the gradient passes where x > alpha, as a mask that every thread computes.
      NodeEmitter e = ctx.emit();
      String x = node.getInput(0);
      String mask = ElementwiseGradients.strictSide(e, x, Attributes.getFloat(node, "alpha", 1f), 1);
      ctx.accumulate(x, e.mul(dy.get(0), mask));
    });
    rules.put("Softplus", ActivationGradients::softplus);
    rules.put("Softsign", (node, dy, ctx) -> {
      // d/dx x / (1 + |x|) = 1 / (1 + |x|)^2
      NodeEmitter e = ctx.emit();
      String x = node.getInput(0);
      String denominator = e.op("Add", List.of(e.op("Abs", List.of(x)), e.scalar(1f)));
      ctx.accumulate(x, e.op("Div", List.of(dy.get(0), e.mul(denominator, denominator))));
    });
    rules.put("Mish", ActivationGradients::mish);
    rules.put("Gelu", ActivationGradients::gelu);
  }

  /**
   * PyTorch's elu_backward on the input: dy * positiveScale where x > 0, else
   * dy * inputScale * negativeScale * exp(x * inputScale), in that order (Elu: 1, alpha, 1; Selu:
   * gamma, alpha * gamma, 1; Celu: 1, alpha, 1 / alpha).
   */
  private static void exponentialLinear(NodeProto node, List<String> dy, BackwardContext ctx, float positiveScale,
      float negativeScale, float inputScale) {
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    String g = dy.get(0);
    String exp = e.op("Exp", List.of(inputScale == 1f ? x : e.mul(x, e.scalar(inputScale))));
    String scaled = inputScale == 1f ? g : e.mul(g, e.scalar(inputScale));
    String negative = e.mul(e.mul(scaled, e.scalar(negativeScale)), exp);
    String positive = positiveScale == 1f ? g : e.mul(g, e.scalar(positiveScale));
    // Where takes one branch, so an exp that overflows on the positive side never reaches the gradient.
    String above = e.op("Greater", List.of(x, e.scalar(0f)));
    ctx.accumulate(x, e.op("Where", List.of(above, positive, negative)));
  }

  /**
   * dy where x > 0, else dy * slope (the slope broadcasts to x), as dy * (m + slope * (1 - m)) with
   * m the exact 0/1 mask of x > 0 ({@link ElementwiseGradients#strictSide}): the same floats as
   * PyTorch's choice, from kernels that run on every thread (ONNX Runtime's Where runs on one, and
   * face-recognition ResNets put a PRelu after every convolution). The slope's own gradient where it
   * depends on the input.
   */
  private static void prelu(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    String slope = node.getInput(1);
    String y = node.getOutput(0);
    String above = ElementwiseGradients.strictSide(e, x, 0f, 1);
    String below = e.op("Sub", List.of(e.scalar(1f), above));
    if (ctx.isActive(x)) {
      ctx.accumulate(x, e.mul(dy.get(0), e.op("Add", List.of(above, e.mul(slope, below)))));
    }
    if (ctx.isActive(slope)) {
      ctx.accumulate(slope, ctx.unbroadcast(e.mul(e.mul(dy.get(0), x), below), y, slope));
    }
  }

  /**
   * PyTorch's softplus_backward with beta 1 and its threshold 20 (ONNX's Softplus has neither; the
   * exporter drops the threshold): dy where x > 20, else dy * z / (z + 1) with z = exp(x).
   */
  private static void softplus(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    String z = e.op("Exp", List.of(x));
    String ratio = e.op("Div", List.of(e.mul(dy.get(0), z), e.op("Add", List.of(z, e.scalar(1f)))));
    String linear = e.op("Greater", List.of(x, e.scalar(20f)));
    ctx.accumulate(x, e.op("Where", List.of(linear, dy.get(0), ratio)));
  }

  /**
   * PyTorch's mish_backward: dy * (t + x * sigmoid(x) * (1 - t^2)), t = tanh(softplus(x)), with t
   * written as v / (v + 2), v = u (u + 2), u = exp(min(x, 20)): the same function without a Softplus
   * node, which ONNX Runtime computes as log(exp(x) + 1) and so loses the digits of exp(x) beside 1
   * (relative errors of 2e-4 at x = -10, where PyTorch's log1p keeps them). Past 20, t rounds to 1
   * either way.
   */
  private static void mish(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    String u = e.op("Exp", List.of(e.op("Min", List.of(x, e.scalar(20f)))));
    String v = e.mul(u, e.op("Add", List.of(u, e.scalar(2f))));
    String t = e.op("Div", List.of(v, e.op("Add", List.of(v, e.scalar(2f)))));
    String slope = e.op("Sub", List.of(e.scalar(1f), e.mul(t, t)));
    String inner = e.mul(e.mul(x, e.op("Sigmoid", List.of(x))), slope);
    ctx.accumulate(x, e.mul(dy.get(0), e.op("Add", List.of(t, inner))));
  }

  /**
   * PyTorch's gelu_backward. Exact: dy * (Phi(x) + x * phi(x)), Phi(x) = (1 + erf(x / sqrt 2)) / 2,
   * phi(x) = exp(-x^2 / 2) / sqrt(2 pi). Tanh approximation: with u = sqrt(2 / pi) (x + 0.044715 x^3)
   * and t = tanh(u), dy * ((1 + t) / 2 + x / 2 * (1 - t^2) * sqrt(2 / pi) (1 + 3 * 0.044715 x^2)),
   * where (1 + t) / 2 = p = 1 / (1 + exp(-2u)) and 1 - t^2 = 4 p (1 - p) = 4 p exp(-2u) p: both keep
   * their digits where t nears -1 (x below -3), which 1 + t and 1 - t * t lose in float32 (PyTorch's
   * float32 0.5% off at x = -4.4, with ONNX Runtime's Tanh 2.4%). The exponent stops at 88, below
   * float32's overflow, where p is 0 to float32 anyway.
   */
  private static void gelu(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String x = node.getInput(0);
    String approximate = Attributes.getString(node, "approximate", "none");
    String square = e.mul(x, x);
    String slope;
    if (approximate.equals("none")) {
      String erf = e.op("Erf", List.of(e.mul(x, e.scalar((float) (1 / Math.sqrt(2))))));
      String cdf = e.mul(e.scalar(0.5f), e.op("Add", List.of(e.scalar(1f), erf)));
      String pdf = e.mul(e.op("Exp", List.of(e.mul(e.scalar(-0.5f), square))), e.scalar((float) (1 / Math.sqrt(2 * Math.PI))));
      slope = e.op("Add", List.of(cdf, e.mul(x, pdf)));
    } else if (approximate.equals("tanh")) {
      float beta = (float) Math.sqrt(2 / Math.PI);
      float kappa = 0.044715f;
      String u = e.mul(e.scalar(beta), e.op("Add", List.of(x, e.mul(e.scalar(kappa), e.mul(square, x)))));
      String exp = e.op("Exp", List.of(e.op("Min", List.of(e.mul(u, e.scalar(-2f)), e.scalar(88f)))));
      String p = e.op("Reciprocal", List.of(e.op("Add", List.of(exp, e.scalar(1f)))));
      String secantSquared = e.mul(e.mul(p, e.mul(exp, p)), e.scalar(4f));
      String innerDerivative = e.mul(e.scalar(beta), e.op("Add", List.of(e.scalar(1f), e.mul(e.scalar(3 * kappa), square))));
      String rightDerivative = e.mul(e.mul(e.mul(e.scalar(0.5f), x), secantSquared), innerDerivative);
      slope = e.op("Add", List.of(p, rightDerivative));
    } else {
      throw ctx.fail(node, "approximate='" + approximate + "' is not a Gelu mode (expected none or tanh)");
    }
    ctx.accumulate(x, e.mul(dy.get(0), slope));
  }
}

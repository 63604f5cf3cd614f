package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Quantize-dequantize pairs on the gradient path (ONNX Runtime's QDQ format, PyTorch's fake
 * quantization exported): rounding has a zero derivative almost everywhere, so netvis passes the
 * gradient straight through where the value was not clamped, as PyTorch's fake_quantize backward and
 * quantization-aware training do: d DQ(Q(x)) / dx = 1 where qmin <= round(x / scale) + zero_point <= qmax,
 * else 0.
 */
final class QuantizationGradients {
  private QuantizationGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("DequantizeLinear", QuantizationGradients::dequantize);
  }

  /** The integer range of a quantized type. */
  private record Range(long min, long max) {}

  private static void dequantize(NodeProto node, List<String> dy, BackwardContext ctx) {
    String q = node.getInput(0);
    NodeProto quantize = ctx.producer(q);
    if (quantize == null || !Quantizers.isQuantize(quantize)) {
      throw ctx.fail(node, "it reads '" + q + "' from " + (quantize == null ? "no node"
          : quantize.getOpType() + " node '" + quantize.getName() + "'") + "; netvis passes gradients through"
          + " QuantizeLinear -> DequantizeLinear pairs (the QDQ format) and the integer operators it reads as such ("
          + IntegerOperators.READ + "), not through " + (quantize == null ? "others" : quantize.getOpType()));
    }
    String x = quantize.getInput(0);
    for (NodeProto n : List.of(quantize, node)) {
      if (Attributes.getInt(n, "block_size", 0) != 0) {
        throw ctx.fail(n, "blocked quantization (block_size " + Attributes.getInt(n, "block_size", 0)
            + ") is not supported; expected per-tensor or per-axis scales");
      }
    }
    if (ctx.constant(quantize.getInput(1)) == null) {
      computedParameters(quantize, node, dy, ctx);
      return;
    }
    float[] scale = TensorProtos.toFloats(ctx.requireConstant(quantize, quantize.getInput(1), "y_scale"));
    TensorProto zeroPoint = input(quantize, 2) == null ? null
        : ctx.requireConstant(quantize, quantize.getInput(2), "y_zero_point");
    long[] zero = zeroPoint == null ? new long[scale.length] : TensorProtos.toLongs(zeroPoint);
    float[] dequantizeScale = TensorProtos.toFloats(ctx.requireConstant(node, node.getInput(1), "x_scale"));
    long[] dequantizeZero = input(node, 2) == null ? new long[dequantizeScale.length]
        : TensorProtos.toLongs(ctx.requireConstant(node, node.getInput(2), "x_zero_point"));
    int rank = ctx.shape(x).length;
    int axis = axis(quantize, rank);
    if (!Arrays.equals(scale, dequantizeScale) || !Arrays.equals(zero, dequantizeZero)
        || (scale.length > 1 && axis != axis(node, rank))) {
      throw ctx.fail(node, "it dequantizes with another scale, zero point or axis than QuantizeLinear node '"
          + quantize.getName() + "' quantized with; expected a pair that undoes its rounding only");
    }
    Range range = range(quantize, zeroPoint, ctx);
    NodeEmitter e = ctx.emit();
    String scales;
    String zeros;
    float[] zeroFloats = new float[zero.length];
    for (int i = 0; i < zero.length; i++) {
      zeroFloats[i] = zero[i];
    }
    if (scale.length == 1) {
      scales = e.scalar(scale[0]);
      zeros = e.scalar(zeroFloats[0]);
    } else {
      long[] shape = new long[rank];
      Arrays.fill(shape, 1);
      shape[axis] = scale.length;
      scales = e.floats("quantize_scale", shape, scale);
      zeros = e.floats("quantize_zero_point", shape, zeroFloats);
    }
    passUnclamped(x, scales, zeros, range, dy.get(0), ctx);
  }

  /** Sends {@code dy} to {@code x} where x's level (float scales and zero points, broadcast) was not clamped. */
  private static void passUnclamped(String x, String scales, String zeros, Range range, String dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    // The level before saturation, rounded half to even as QuantizeLinear rounds.
    String level = e.op("Add", List.of(e.op("Round", List.of(e.op("Div", List.of(x, scales)))), zeros));
    String inside = e.op("And", List.of(e.op("GreaterOrEqual", List.of(level, e.scalar(range.min()))),
        e.op("LessOrEqual", List.of(level, e.scalar(range.max())))));
    String mask = e.op("Cast", List.of(inside), Attributes.of("to", (long) TensorProto.DataType.FLOAT_VALUE));
    ctx.accumulate(x, e.mul(dy, mask));
  }

  /**
   * A pair whose scale and zero point are computed in the graph (dynamic quantization, each image's
   * from its own values): the same straight-through mask, from those tensors at run time; both
   * nodes must read the same ones. The gradient does not flow into the scale: rounding's
   * straight-through estimate of d DQ(Q(x)) / dx is 1 whatever the scale.
   */
  private static void computedParameters(NodeProto quantize, NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = quantize.getInput(0);
    int rank = ctx.shape(x).length;
    int axis = axis(quantize, rank);
    if (!quantize.getInput(1).equals(node.getInput(1)) || !String.valueOf(input(quantize, 2)).equals(
        String.valueOf(input(node, 2))) || axis != axis(node, rank)) {
      throw ctx.fail(node, "it dequantizes with other parameters than QuantizeLinear node '" + quantize.getName()
          + "' quantized with, which are computed in the graph; expected the same scale and zero point tensors");
    }
    NodeProto zeroCast = input(quantize, 2) == null ? null : ctx.producer(quantize.getInput(2));
    if (zeroCast == null || !zeroCast.getOpType().equals("Cast")) {
      throw ctx.fail(quantize, "its zero point '" + input(quantize, 2) + "' is computed in the graph by no Cast;"
          + " netvis reads a computed zero point's type from the Cast that makes it");
    }
    Range range = range(quantize, (int) Attributes.getInt(zeroCast, "to", 0), ctx);
    NodeEmitter e = ctx.emit();
    String scale = quantize.getInput(1);
    String zero = e.op("Cast", List.of(quantize.getInput(2)), Attributes.of("to", (long) TensorProto.DataType.FLOAT_VALUE));
    if (ctx.shape(scale).length == 1 && rank > 1) {
      // A scale per slice along the axis, shaped to broadcast over the others.
      long[] shape = new long[rank];
      Arrays.fill(shape, 1);
      shape[axis] = -1;
      String broadcast = e.longs("quantize_axis_shape", shape);
      scale = e.op("Reshape", List.of(scale, broadcast));
      zero = e.op("Reshape", List.of(zero, broadcast));
    }
    passUnclamped(x, scale, zero, range, dy.get(0), ctx);
    ctx.zeroGradient(node.getInput(1)); // held constant, as above
  }

  private static int axis(NodeProto n, int rank) {
    long axis = Attributes.getInt(n, "axis", 1);
    return (int) (axis < 0 ? axis + rank : axis);
  }

  /** From the zero point's type, else opset 21's output_dtype, else uint8 (the operator's default). */
  private static Range range(NodeProto quantize, TensorProto zeroPoint, BackwardContext ctx) {
    return range(quantize, zeroPoint != null ? zeroPoint.getDataType()
        : (int) Attributes.getInt(quantize, "output_dtype", TensorProto.DataType.UINT8_VALUE), ctx);
  }

  private static Range range(NodeProto quantize, int type, BackwardContext ctx) {
    return switch (type) {
      case TensorProto.DataType.UINT8_VALUE -> new Range(0, 255);
      case TensorProto.DataType.INT8_VALUE -> new Range(-128, 127);
      case TensorProto.DataType.UINT16_VALUE -> new Range(0, 65535);
      case TensorProto.DataType.INT16_VALUE -> new Range(-32768, 32767);
      default -> throw ctx.fail(quantize, "it quantizes to " + TensorProto.DataType.forNumber(type)
          + "; netvis passes gradients through 8- and 16-bit integer quantization");
    };
  }
}

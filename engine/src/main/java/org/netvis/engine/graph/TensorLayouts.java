package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The layout of each 4-D tensor of a forward graph, as far as its operators fix it. A 4-D shape alone
 * does not say which axis holds the channels: ConvNeXt's classifier normalizes a [N, 1, 1, 768]
 * tensor and Swin its [N, 7, 7, 768] stages, both channels-last, which a layer method reading them as
 * (N, C, H, W) would take for 1 or 7 channels. So the layouts are followed from the image (NCHW) and
 * from the operators whose channel axis ONNX fixes at 1 (convolutions, pools, normalizations over
 * channels), through Transposes (by their permutation), operators that keep every axis where it is
 * (element-wise ones, LayerNormalization over the last axis, Slice, Concat, ...) and a MatMul that
 * mixes a channels-last tensor's channels (a Linear layer). Any other operator (a Reshape, say)
 * leaves its output's layout unknown.
 */
final class TensorLayouts {
  /** Operators whose 4-D output is NCHW by the operator's definition (the channel axis is 1). */
  private static final Set<String> CHANNELS_FIRST = Set.of("Conv", "ConvTranspose", "ConvInteger", "QLinearConv",
      "DeformConv", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool",
      "QLinearAveragePool", "QLinearGlobalAveragePool", "MaxUnpool", "BatchNormalization", "InstanceNormalization",
      "GroupNormalization", "LRN", "DepthToSpace", "SpaceToDepth");

  /** Operators that leave every axis of their 4-D inputs where it is. */
  private static final Set<String> AXES_KEPT = Set.of("Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Gelu",
      "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Erf", "Clip",
      "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Pow", "Sign", "Floor", "Ceil", "Round", "Sin", "Cos",
      "Identity", "Dropout", "Cast", "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Where", "QLinearAdd",
      "QLinearMul", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearConcat", "QuantizeLinear", "DequantizeLinear",
      "LayerNormalization", "Softmax", "LogSoftmax", "Slice", "Pad", "Concat", "Split", "Resize", "Upsample");

  private TensorLayouts() {}

  /**
   * Every 4-D tensor whose layout the operators fix, by name ({@code input}, the NCHW image, among
   * them); {@code shapes} gives a computed tensor's shape, or null where it is not known (the
   * initializers' shapes are read from the graph).
   */
  static Map<String, ImageLayout> of(GraphProto graph, String input, Function<String, long[]> shapes) {
    Map<String, ImageLayout> layouts = new HashMap<>();
    layouts.put(input, ImageLayout.NCHW);
    Map<String, long[]> weights = new HashMap<>();
    graph.getInitializerList().forEach(t -> weights.put(t.getName(),
        t.getDimsList().stream().mapToLong(Long::longValue).toArray()));
    Function<String, long[]> shapeOf = t -> weights.containsKey(t) ? weights.get(t) : shapes.apply(t);
    for (NodeProto n : graph.getNodeList()) {
      ImageLayout out = output(n, layouts, shapeOf);
      if (out == null) {
        continue;
      }
      for (String o : n.getOutputList()) {
        long[] shape = shapes.apply(o);
        if (shape != null && shape.length == 4) {
          layouts.put(o, out);
        }
      }
    }
    return layouts;
  }

  private static ImageLayout output(NodeProto n, Map<String, ImageLayout> layouts, Function<String, long[]> shapes) {
    String op = n.getOpType();
    if (CHANNELS_FIRST.contains(op)) {
      return ImageLayout.NCHW;
    }
    if (op.equals("Transpose")) {
      ImageLayout in = layouts.get(n.getInput(0));
      long[] perm = Attributes.getInts(n, "perm");
      return in == null || perm == null ? null : in.transposed(perm);
    }
    if (op.equals("MatMul")) {
      // x W with W 2-D mixes the last axis: the channels of a channels-last tensor.
      long[] weight = shapes.apply(n.getInput(1));
      return layouts.get(n.getInput(0)) == ImageLayout.NHWC && weight != null && weight.length == 2
          ? ImageLayout.NHWC : null;
    }
    if (!AXES_KEPT.contains(op)) {
      return null;
    }
    // The layout the node's 4-D inputs agree on; an input of unknown layout (a 1-D bias, or the
    // other side of a residual sum behind a Reshape) does not count against it.
    ImageLayout agreed = null;
    for (String in : n.getInputList()) {
      ImageLayout l = layouts.get(in);
      if (l == null) {
        continue;
      }
      if (agreed != null && agreed != l) {
        return null;
      }
      agreed = l;
    }
    return agreed;
  }
}

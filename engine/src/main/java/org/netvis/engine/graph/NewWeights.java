package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether a probe of one graph also describes another that differs from it only in the values of
 * some initializers (the sanity check's copies with redrawn layers): then every tensor keeps its
 * shape and every image-independent tensor its value, and the variant needs no probe of its own.
 *
 * <p>That holds when every node that reads a changed value (a changed initializer, or a tensor
 * computed from one) is of a known operator whose output shapes follow from its inputs' shapes, not
 * from that input's values, and none of the changed values is image-independent (the probe keeps
 * those values as constants). Anything else, an unknown operator or a Reshape whose target shape
 * changed, is answered "probe again".
 */
final class NewWeights {
  private NewWeights() {}

  /**
   * Per operator of the default domain, the inputs whose values set the output shapes; an operator
   * not listed may depend on any value.
   */
  private static final Map<String, Set<Integer>> SHAPE_SETTING_INPUTS = shapeSettingInputs();

  private static Map<String, Set<Integer>> shapeSettingInputs() {
    Map<String, Set<Integer>> m = new java.util.HashMap<>();
    for (String op : List.of("Abs", "Acos", "Acosh", "Add", "And", "Asin", "Asinh", "Atan", "Atanh", "Attention",
        "AveragePool", "BatchNormalization", "Cast", "Ceil", "Celu", "Clip", "Concat", "Conv", "ConvTranspose", "Cos",
        "Cosh", "CumSum", "DepthToSpace", "DequantizeLinear", "Div", "Dropout", "Einsum", "Elu", "Equal", "Erf",
        "Exp", "Flatten", "Floor", "Gather", "Gelu", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Greater",
        "GreaterOrEqual", "GridSample", "GroupNormalization", "Hardmax", "HardSigmoid", "HardSwish", "Identity",
        "InstanceNormalization", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax",
        "LpNormalization", "LRN",
        "MatMul", "Max", "MaxPool", "Mean", "Min", "Mish", "Mul", "Neg", "Not", "Or", "Pow", "PRelu",
        "QuantizeLinear", "Reciprocal", "Relu", "RMSNormalization", "Round", "ScatterElements", "ScatterND", "Selu",
        "Shape", "Sigmoid", "Sign",
        "Sin", "Sinh", "Size", "Softmax", "Softplus", "Softsign", "SpaceToDepth", "Sqrt", "Sub", "Sum", "Tan", "Tanh",
        "ThresholdedRelu", "Transpose", "Trilu", "Where")) {
      m.put(op, Set.of());
    }
    for (String op : List.of("Reshape", "Expand", "Split", "Squeeze", "Unsqueeze", "Tile", "ReduceL1", "ReduceL2",
        "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceSum", "ReduceSumSquare")) {
      m.put(op, Set.of(1));
    }
    m.put("Pad", Set.of(1, 3));
    m.put("GatherElements", Set.of(1));
    m.put("AffineGrid", Set.of(1));
    m.put("GatherND", Set.of(1));
    m.put("TopK", Set.of(1));
    m.put("Slice", Set.of(1, 2, 3, 4));
    m.put("Resize", Set.of(1, 2, 3));
    m.put("Col2Im", Set.of(1, 2));
    return Map.copyOf(m);
  }

  /**
   * Null where {@code probed}'s probe holds for {@code variant}; else why not, for the log.
   * {@code dependence} is {@code probed}'s (and, with the same nodes, the variant's).
   */
  static String whyProbeAgain(GraphProto probed, GraphProto variant, InputDependence dependence) {
    if (!probed.getNodeList().equals(variant.getNodeList()) || !probed.getInputList().equals(variant.getInputList())
        || !probed.getOutputList().equals(variant.getOutputList())
        || !probed.getValueInfoList().equals(variant.getValueInfoList())) {
      return "its nodes, inputs, outputs or value annotations differ";
    }
    if (probed.getSparseInitializerCount() + variant.getSparseInitializerCount() > 0
        || probed.getInitializerCount() != variant.getInitializerCount()) {
      return "its initializers differ in number or kind";
    }
    Set<String> changed = new HashSet<>();
    for (int i = 0; i < probed.getInitializerCount(); i++) {
      TensorProto a = probed.getInitializer(i);
      TensorProto b = variant.getInitializer(i);
      if (!a.getName().equals(b.getName()) || a.getDataType() != b.getDataType()
          || !a.getDimsList().equals(b.getDimsList())) {
        return "initializer '" + b.getName() + "' differs in name, type or shape";
      }
      if (!sameValues(a, b)) {
        changed.add(a.getName());
      }
    }
    for (NodeProto n : variant.getNodeList()) {
      if (hasSubgraph(n) && InputDependence.reads(n).stream().anyMatch(changed::contains)) {
        return "node '" + n.getName() + "' (" + n.getOpType() + ") has a subgraph that reads changed values";
      }
      boolean readsChanged = false;
      for (int k = 0; k < n.getInputCount(); k++) {
        if (!changed.contains(n.getInput(k))) {
          continue;
        }
        Set<Integer> shapeSetting = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx")
            ? SHAPE_SETTING_INPUTS.get(n.getOpType()) : null;
        if (shapeSetting == null || shapeSetting.contains(k)) {
          return "node '" + n.getName() + "' (" + n.getOpType() + ") reads changed values as input " + k;
        }
        readsChanged = true;
      }
      // Shape and Size see only shapes, which stay.
      if (readsChanged && !n.getOpType().equals("Shape") && !n.getOpType().equals("Size")) {
        for (String out : n.getOutputList()) {
          if (!out.isEmpty()) {
            if (!dependence.dependsOnInput(out)) {
              return "image-independent tensor '" + out + "' is computed from changed values";
            }
            changed.add(out);
          }
        }
      }
    }
    return null;
  }

  /**
   * Whether two initializers are equal: the same message, or their raw bytes compared as buffers (a vectorized compare;
   * the message's own equals compares byte by byte, 0.4 s for ResNet-18's 47 MB), then the rest.
   */
  private static boolean sameValues(TensorProto a, TensorProto b) {
    // A copy with some layers redrawn shares its other initializers with the model it came from.
    if (a == b) {
      return true;
    }
    return a.getRawData().asReadOnlyByteBuffer().equals(b.getRawData().asReadOnlyByteBuffer())
        && a.toBuilder().clearRawData().build().equals(b.toBuilder().clearRawData().build());
  }

  private static boolean hasSubgraph(NodeProto n) {
    return n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
  }
}

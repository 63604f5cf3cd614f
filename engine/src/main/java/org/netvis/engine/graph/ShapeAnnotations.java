package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * The shapes a gradient graph carries in its value_info: every float tensor of the forward pass and
 * every summed gradient, the batch axis named {@link GradientGraph#BATCH_DIMENSION}. ONNX shape
 * inference loses the batch behind ops like a Reshape to a computed shape or a Resize by scales, and
 * from there on ONNX Runtime's NCHWc transformer cannot prove a gradient and its mask the same shape,
 * so it reorders both out of its blocked layout and back around every Mul and Add (MobileNetV2's
 * graph: 139 reorders, 13 with these annotations). The shapes come from the probes at batch 1 and 2,
 * so they hold for any batch; an axis that is a multiple of the batch stays unnamed, unless the rule
 * that emitted the tensor declares it ({@link #declare}).
 */
final class ShapeAnnotations {
  private final Map<String, ShapeProbe.Probed> probed;
  private final String input;
  private final long[] inputShape;
  private final Map<String, ValueInfoProto> annotations = new LinkedHashMap<>();
  private final Set<String> conflicting = new HashSet<>();

  /**
   * @param probed the forward tensors' probed shapes
   * @param inputShape the image input's shape, batch first (-1 where it is dynamic)
   */
  ShapeAnnotations(Map<String, ShapeProbe.Probed> probed, String input, long[] inputShape) {
    this.probed = probed;
    this.input = input;
    this.inputShape = inputShape;
  }

  /** Records {@code name} with the shape of forward tensor {@code like}; a name seen with two shapes gets none. */
  void annotate(String name, String like) {
    TensorShapeProto shape = batchNamedShape(like);
    if (shape != null) {
      record(name, shape);
    }
  }

  /**
   * Records {@code name} with a shape a gradient rule declared ({@link BackwardContext#declareShape}):
   * sizes as given, -k as the axis {@code N*k}.
   */
  void declare(String name, long[] shape) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long size : shape) {
      addDim(s, size, size < 0 ? -size : 0);
    }
    record(name, s.build());
  }

  private void record(String name, TensorShapeProto shape) {
    ValueInfoProto v = ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape)))
        .build();
    ValueInfoProto before = annotations.putIfAbsent(name, v);
    if (before != null && !before.equals(v)) {
      conflicting.add(name);
    }
  }

  /** The annotations of tensors some node produces, in the order recorded, less the graph's declared inputs and outputs. */
  List<ValueInfoProto> of(Set<String> produced, Set<String> declared) {
    return annotations.values().stream()
        .filter(v -> produced.contains(v.getName()) && !declared.contains(v.getName())
            && !conflicting.contains(v.getName()))
        .toList();
  }

  /** The forward float tensor's shape, batch axis named and other batch-dependent axes unnamed; null if unknown. */
  private TensorShapeProto batchNamedShape(String tensor) {
    long[] shape;
    IntPredicate batchAxis;
    if (tensor.equals(input)) {
      shape = inputShape;
      batchAxis = axis -> axis == 0;
    } else {
      ShapeProbe.Probed p = probed.get(tensor);
      if (p == null || !p.isFloat()) {
        return null;
      }
      shape = p.shape();
      batchAxis = p::isBatchAxis;
    }
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (int i = 0; i < shape.length; i++) {
      addDim(s, shape[i], batchAxis.test(i) ? 1 : 0);
    }
    return s.build();
  }

  /** A fixed size, or where size < 0 the axis N (multiple 1), N*k (multiple k), or unnamed (0). */
  private static void addDim(TensorShapeProto.Builder s, long size, long multiple) {
    TensorShapeProto.Dimension.Builder d = s.addDimBuilder();
    if (size >= 0) {
      d.setDimValue(size);
    } else if (multiple == 1) {
      d.setDimParam(GradientGraph.BATCH_DIMENSION);
    } else if (multiple > 1) {
      d.setDimParam(GradientGraph.BATCH_DIMENSION + "*" + multiple);
    }
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model stored in float16 or bfloat16 (converted for deployment, often with float32 inputs and
 * outputs kept) widened to float32 throughout: weights, constants, Cast targets and declared types.
 * The gradient rules and every technique work on float32 tensors; left as written, the 16-bit
 * tensors would sit off the gradient path and the input gradient would silently be zero. The
 * widened model computes with the file's own weights (16-bit values are exact in float32), so its
 * scores differ from the file's 16-bit arithmetic only by that arithmetic's rounding.
 */
final class Float32Widening extends ModelRewrite {
  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  /** Operators whose attribute names an element type they create. */
  private static final Set<String> TYPE_ATTRIBUTES = Set.of("to", "dtype");

  private final Set<String> widenedTypes = new TreeSet<>();
  private int tensors;
  private int casts;

  private Float32Widening() {}

  /** What was widened: the model, and a sentence for the run record; null note when nothing was 16-bit. */
  record Widened(ModelProto model, String note) {}

  static Widened widen(ModelProto model) {
    Float32Widening w = new Float32Widening();
    ModelProto wide = w.apply(model);
    if (w.widenedTypes.isEmpty()) {
      return new Widened(model, null);
    }
    String note = "the file computes in " + String.join(" and ", w.widenedTypes) + "; netvis runs it in float32 ("
        + w.tensors + " weight and constant tensors and " + w.casts + " Cast nodes widened)";
    return new Widened(wide, note);
  }

  private static boolean isSixteenBit(int type) {
    return type == TensorProto.DataType.FLOAT16_VALUE || type == TensorProto.DataType.BFLOAT16_VALUE;
  }

  private static String typeName(int type) {
    return TensorProto.DataType.forNumber(type).name().toLowerCase();
  }

  @Override
  protected AttributeProto attribute(NodeProto node, AttributeProto a) {
    boolean standard = node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx");
    if (!standard || !TYPE_ATTRIBUTES.contains(a.getName()) || a.getType() != AttributeProto.AttributeType.INT
        || !isSixteenBit((int) a.getI())) {
      return a;
    }
    widenedTypes.add(typeName((int) a.getI()));
    casts += node.getOpType().equals("Cast") ? 1 : 0;
    return a.toBuilder().setI(FLOAT).build();
  }

  @Override
  protected TensorProto tensor(TensorProto t) {
    if (!isSixteenBit(t.getDataType())) {
      return t;
    }
    widenedTypes.add(typeName(t.getDataType()));
    tensors++;
    TensorProto wide = TensorProtos.floats(t.getName(), TensorProtos.shape(t), TensorProtos.toFloats(t));
    return t.getDocString().isEmpty() ? wide : wide.toBuilder().setDocString(t.getDocString()).build();
  }

  @Override
  protected ValueInfoProto value(ValueInfoProto v) {
    TypeProto type = v.getType();
    if (!type.hasTensorType() || !isSixteenBit(type.getTensorType().getElemType())) {
      return v;
    }
    widenedTypes.add(typeName(type.getTensorType().getElemType()));
    return v.toBuilder().setType(type.toBuilder().setTensorType(type.getTensorType().toBuilder().setElemType(FLOAT)))
        .build();
  }
}

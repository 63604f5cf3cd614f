package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
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
final class Float32Widening {
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
    ModelProto.Builder m = model.toBuilder().setGraph(w.graph(model.getGraph()));
    for (int i = 0; i < m.getFunctionsCount(); i++) {
      FunctionProto.Builder f = m.getFunctions(i).toBuilder().clearNode();
      model.getFunctions(i).getNodeList().forEach(n -> f.addNode(w.node(n)));
      m.setFunctions(i, f);
    }
    if (w.widenedTypes.isEmpty()) {
      return new Widened(model, null);
    }
    String note = "the file computes in " + String.join(" and ", w.widenedTypes) + "; netvis runs it in float32 ("
        + w.tensors + " weight and constant tensors and " + w.casts + " Cast nodes widened)";
    return new Widened(m.build(), note);
  }

  private static boolean isSixteenBit(int type) {
    return type == TensorProto.DataType.FLOAT16_VALUE || type == TensorProto.DataType.BFLOAT16_VALUE;
  }

  private static String typeName(int type) {
    return TensorProto.DataType.forNumber(type).name().toLowerCase();
  }

  private GraphProto graph(GraphProto graph) {
    GraphProto.Builder g = graph.toBuilder().clearNode();
    graph.getNodeList().forEach(n -> g.addNode(node(n)));
    for (int i = 0; i < g.getInitializerCount(); i++) {
      g.setInitializer(i, tensor(g.getInitializer(i)));
    }
    for (int i = 0; i < g.getSparseInitializerCount(); i++) {
      SparseTensorProto s = g.getSparseInitializer(i);
      g.setSparseInitializer(i, s.toBuilder().setValues(tensor(s.getValues())));
    }
    for (int i = 0; i < g.getInputCount(); i++) {
      g.setInput(i, value(g.getInput(i)));
    }
    for (int i = 0; i < g.getOutputCount(); i++) {
      g.setOutput(i, value(g.getOutput(i)));
    }
    for (int i = 0; i < g.getValueInfoCount(); i++) {
      g.setValueInfo(i, value(g.getValueInfo(i)));
    }
    return g.build();
  }

  private NodeProto node(NodeProto node) {
    boolean standard = node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx");
    NodeProto.Builder b = node.toBuilder();
    for (int i = 0; i < b.getAttributeCount(); i++) {
      AttributeProto a = b.getAttribute(i);
      AttributeProto.Builder widened = a.toBuilder();
      if (standard && TYPE_ATTRIBUTES.contains(a.getName()) && a.getType() == AttributeProto.AttributeType.INT
          && isSixteenBit((int) a.getI())) {
        widenedTypes.add(typeName((int) a.getI()));
        widened.setI(FLOAT);
        casts += node.getOpType().equals("Cast") ? 1 : 0;
      }
      if (a.hasT()) {
        widened.setT(tensor(a.getT()));
      }
      for (int k = 0; k < a.getTensorsCount(); k++) {
        widened.setTensors(k, tensor(a.getTensors(k)));
      }
      if (a.hasG()) {
        widened.setG(graph(a.getG()));
      }
      for (int k = 0; k < a.getGraphsCount(); k++) {
        widened.setGraphs(k, graph(a.getGraphs(k)));
      }
      b.setAttribute(i, widened);
    }
    return b.build();
  }

  private TensorProto tensor(TensorProto t) {
    if (!isSixteenBit(t.getDataType())) {
      return t;
    }
    widenedTypes.add(typeName(t.getDataType()));
    tensors++;
    TensorProto wide = TensorProtos.floats(t.getName(), TensorProtos.shape(t), TensorProtos.toFloats(t));
    return t.getDocString().isEmpty() ? wide : wide.toBuilder().setDocString(t.getDocString()).build();
  }

  private ValueInfoProto value(ValueInfoProto v) {
    TypeProto type = v.getType();
    if (!type.hasTensorType() || !isSixteenBit(type.getTensorType().getElemType())) {
      return v;
    }
    widenedTypes.add(typeName(type.getTensorType().getElemType()));
    return v.toBuilder().setType(type.toBuilder().setTensorType(type.getTensorType().toBuilder().setElemType(FLOAT)))
        .build();
  }
}

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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

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
    GraphProto graph = w.graph(model.getGraph());
    List<FunctionProto> functions = mapped(model.getFunctionsList(), f -> {
      List<NodeProto> nodes = mapped(f.getNodeList(), w::node);
      return nodes == null ? f : f.toBuilder().clearNode().addAllNode(nodes).build();
    });
    if (w.widenedTypes.isEmpty()) {
      return new Widened(model, null);
    }
    ModelProto.Builder m = model.toBuilder().setGraph(graph);
    if (functions != null) {
      m.clearFunctions().addAllFunctions(functions);
    }
    String note = "the file computes in " + String.join(" and ", w.widenedTypes) + "; netvis runs it in float32 ("
        + w.tensors + " weight and constant tensors and " + w.casts + " Cast nodes widened)";
    return new Widened(m.build(), note);
  }

  /**
   * {@code items} each through {@code widen}, or null when every one came back as it was: a float32
   * model (nearly every model) is read without building a copy of it.
   */
  private static <T> List<T> mapped(List<T> items, UnaryOperator<T> widen) {
    List<T> out = null;
    for (int i = 0; i < items.size(); i++) {
      T item = widen.apply(items.get(i));
      if (item != items.get(i) && out == null) {
        out = new ArrayList<>(items.subList(0, i));
      }
      if (out != null) {
        out.add(item);
      }
    }
    return out;
  }

  private static boolean isSixteenBit(int type) {
    return type == TensorProto.DataType.FLOAT16_VALUE || type == TensorProto.DataType.BFLOAT16_VALUE;
  }

  private static String typeName(int type) {
    return TensorProto.DataType.forNumber(type).name().toLowerCase();
  }

  private GraphProto graph(GraphProto graph) {
    List<NodeProto> nodes = mapped(graph.getNodeList(), this::node);
    List<TensorProto> initializers = mapped(graph.getInitializerList(), this::tensor);
    List<SparseTensorProto> sparse = mapped(graph.getSparseInitializerList(), s -> {
      TensorProto values = tensor(s.getValues());
      return values == s.getValues() ? s : s.toBuilder().setValues(values).build();
    });
    List<ValueInfoProto> inputs = mapped(graph.getInputList(), this::value);
    List<ValueInfoProto> outputs = mapped(graph.getOutputList(), this::value);
    List<ValueInfoProto> values = mapped(graph.getValueInfoList(), this::value);
    if (nodes == null && initializers == null && sparse == null && inputs == null && outputs == null && values == null) {
      return graph;
    }
    GraphProto.Builder g = graph.toBuilder();
    if (nodes != null) {
      g.clearNode().addAllNode(nodes);
    }
    if (initializers != null) {
      g.clearInitializer().addAllInitializer(initializers);
    }
    if (sparse != null) {
      g.clearSparseInitializer().addAllSparseInitializer(sparse);
    }
    if (inputs != null) {
      g.clearInput().addAllInput(inputs);
    }
    if (outputs != null) {
      g.clearOutput().addAllOutput(outputs);
    }
    if (values != null) {
      g.clearValueInfo().addAllValueInfo(values);
    }
    return g.build();
  }

  private NodeProto node(NodeProto node) {
    List<AttributeProto> attributes = mapped(node.getAttributeList(), a -> attribute(node, a));
    return attributes == null ? node : node.toBuilder().clearAttribute().addAllAttribute(attributes).build();
  }

  private AttributeProto attribute(NodeProto node, AttributeProto a) {
    boolean standard = node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx");
    boolean typeWidened = standard && TYPE_ATTRIBUTES.contains(a.getName())
        && a.getType() == AttributeProto.AttributeType.INT && isSixteenBit((int) a.getI());
    TensorProto t = a.hasT() ? tensor(a.getT()) : a.getT();
    List<TensorProto> tensorList = mapped(a.getTensorsList(), this::tensor);
    GraphProto g = a.hasG() ? graph(a.getG()) : a.getG();
    List<GraphProto> graphList = mapped(a.getGraphsList(), this::graph);
    if (!typeWidened && t == a.getT() && tensorList == null && g == a.getG() && graphList == null) {
      return a;
    }
    AttributeProto.Builder b = a.toBuilder();
    if (typeWidened) {
      widenedTypes.add(typeName((int) a.getI()));
      b.setI(FLOAT);
      casts += node.getOpType().equals("Cast") ? 1 : 0;
    }
    if (a.hasT()) {
      b.setT(t);
    }
    if (tensorList != null) {
      b.clearTensors().addAllTensors(tensorList);
    }
    if (a.hasG()) {
      b.setG(g);
    }
    if (graphList != null) {
      b.clearGraphs().addAllGraphs(graphList);
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

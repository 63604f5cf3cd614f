package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A model with some of its tensors, declared values or node attributes replaced, wherever they sit:
 * the main graph, subgraphs of control-flow nodes, and model-local functions. A subclass says what
 * replaces one item; this class walks the model and rebuilds only what changed, so a model in which
 * nothing changes (nearly every model, for each rewrite) is read without building a copy of it.
 */
abstract class ModelRewrite {

  /** A tensor's replacement: an initializer, a sparse initializer's values or indices, an attribute's tensor. */
  protected TensorProto tensor(TensorProto t) {
    return t;
  }

  /** A declared input, output or intermediate value's replacement. */
  protected ValueInfoProto value(ValueInfoProto v) {
    return v;
  }

  /** An attribute's replacement, before its tensors and subgraphs are walked. */
  protected AttributeProto attribute(NodeProto node, AttributeProto a) {
    return a;
  }

  /** The model rewritten; {@code model} itself where nothing changed. */
  final ModelProto apply(ModelProto model) {
    GraphProto graph = graph(model.getGraph());
    List<FunctionProto> functions = mapped(model.getFunctionsList(), f -> {
      List<NodeProto> nodes = mapped(f.getNodeList(), this::node);
      return nodes == null ? f : f.toBuilder().clearNode().addAllNode(nodes).build();
    });
    if (graph == model.getGraph() && functions == null) {
      return model;
    }
    ModelProto.Builder m = model.toBuilder().setGraph(graph);
    if (functions != null) {
      m.clearFunctions().addAllFunctions(functions);
    }
    return m.build();
  }

  /** {@code items} each through {@code replace}, or null when every one came back as it was. */
  private static <T> List<T> mapped(List<T> items, UnaryOperator<T> replace) {
    List<T> out = null;
    for (int i = 0; i < items.size(); i++) {
      T item = replace.apply(items.get(i));
      if (item != items.get(i) && out == null) {
        out = new ArrayList<>(items.subList(0, i));
      }
      if (out != null) {
        out.add(item);
      }
    }
    return out;
  }

  private GraphProto graph(GraphProto graph) {
    List<NodeProto> nodes = mapped(graph.getNodeList(), this::node);
    List<TensorProto> initializers = mapped(graph.getInitializerList(), this::tensor);
    List<SparseTensorProto> sparse = mapped(graph.getSparseInitializerList(), s -> {
      TensorProto values = tensor(s.getValues());
      TensorProto indices = tensor(s.getIndices());
      return values == s.getValues() && indices == s.getIndices() ? s
          : s.toBuilder().setValues(values).setIndices(indices).build();
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
    List<AttributeProto> attributes = mapped(node.getAttributeList(), a -> walked(node, a));
    return attributes == null ? node : node.toBuilder().clearAttribute().addAllAttribute(attributes).build();
  }

  private AttributeProto walked(NodeProto node, AttributeProto a) {
    AttributeProto own = attribute(node, a);
    TensorProto t = own.hasT() ? tensor(own.getT()) : own.getT();
    List<TensorProto> tensorList = mapped(own.getTensorsList(), this::tensor);
    GraphProto g = own.hasG() ? graph(own.getG()) : own.getG();
    List<GraphProto> graphList = mapped(own.getGraphsList(), this::graph);
    if (t == own.getT() && tensorList == null && g == own.getG() && graphList == null) {
      return own;
    }
    AttributeProto.Builder b = own.toBuilder();
    if (own.hasT()) {
      b.setT(t);
    }
    if (tensorList != null) {
      b.clearTensors().addAllTensors(tensorList);
    }
    if (own.hasG()) {
      b.setG(g);
    }
    if (graphList != null) {
      b.clearGraphs().addAllGraphs(graphList);
    }
    return b.build();
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Which tensors depend on the values of the model input. Shape and Size read only the shape, which
 * is fixed once the input size is, so their outputs do not; everything downstream of them stays
 * independent too and can be evaluated at build time. A node with subgraphs (If, Loop, Scan)
 * depends on the tensors its bodies capture from the outer scope as well as on its inputs.
 */
final class InputDependence {
  private final Set<String> dependent = new HashSet<>();

  private InputDependence() {}

  static InputDependence of(GraphProto graph, String input) {
    InputDependence d = new InputDependence();
    d.dependent.add(input);
    for (NodeProto n : graph.getNodeList()) {
      if (n.getOpType().equals("Shape") || n.getOpType().equals("Size")) {
        continue;
      }
      if (reads(n).stream().anyMatch(d.dependent::contains)) {
        n.getOutputList().stream().filter(o -> !o.isEmpty()).forEach(d.dependent::add);
      }
    }
    return d;
  }

  /** The node outputs whose values are fixed once the input size is. */
  Set<String> independentOutputs(GraphProto graph) {
    Set<String> out = new HashSet<>();
    for (NodeProto n : graph.getNodeList()) {
      n.getOutputList().stream().filter(o -> !o.isEmpty() && !dependent.contains(o)).forEach(out::add);
    }
    return out;
  }

  boolean dependsOnInput(String tensor) {
    return dependent.contains(tensor);
  }

  /** Every tensor a node reads: its inputs and what its subgraphs capture from outside. */
  static Set<String> reads(NodeProto node) {
    Set<String> out = new LinkedHashSet<>();
    node.getInputList().stream().filter(i -> !i.isEmpty()).forEach(out::add);
    for (AttributeProto a : node.getAttributeList()) {
      if (a.hasG()) {
        out.addAll(captured(a.getG()));
      }
      for (GraphProto g : a.getGraphsList()) {
        out.addAll(captured(g));
      }
    }
    return out;
  }

  /** Names a subgraph reads that it does not define itself (inputs, initializers, node outputs). */
  static Set<String> captured(GraphProto g) {
    Set<String> defined = new HashSet<>();
    g.getInputList().forEach(v -> defined.add(v.getName()));
    g.getInitializerList().forEach(t -> defined.add(t.getName()));
    Set<String> out = new LinkedHashSet<>();
    for (NodeProto n : g.getNodeList()) {
      for (String r : reads(n)) {
        if (!defined.contains(r)) {
          out.add(r);
        }
      }
      defined.addAll(n.getOutputList());
    }
    g.getOutputList().forEach(v -> {
      if (!defined.contains(v.getName())) {
        out.add(v.getName());
      }
    });
    return out;
  }

  /** True when the node carries subgraphs (control flow). */
  static boolean hasSubgraphs(NodeProto node) {
    return node.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Collection;

/** An operator on the gradient path has no gradient rule (control flow included). */
public final class UnsupportedOperatorException extends GraphBuildException {
  private final String opType;
  private final String nodeName;

  public UnsupportedOperatorException(NodeProto node, Collection<String> supported) {
    super(message(node, supported));
    this.opType = node.getOpType();
    this.nodeName = node.getName();
  }

  private static String message(NodeProto node, Collection<String> supported) {
    String domain = node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx") ? "" : node.getDomain() + ".";
    String what = InputDependence.hasSubgraphs(node)
        ? "is control flow on the gradient path; netvis does not differentiate through subgraphs (If, Loop, Scan)"
        : "has no gradient rule in netvis";
    return "operator " + domain + node.getOpType() + " (node '" + node.getName() + "') " + what
        + "; supported operators: " + String.join(", ", supported.stream().sorted().toList())
        + (!node.getDomain().equals("com.microsoft") ? "" : "; of ONNX Runtime's com.microsoft operators, netvis reads "
        + FusedOperators.READ + ", QAttention after a DynamicQuantizeLinear, and the quantized " + IntegerOperators.READ);
  }

  public String opType() {
    return opType;
  }

  public String nodeName() {
    return nodeName;
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-tensor scales and zero points of QuantizeLinear and DequantizeLinear written as one-element
 * 1-D tensors (PyTorch's QAT export writes them so) read through scalar copies instead: ONNX Runtime
 * 1.29 fuses such QDQ groups into QLinearAdd and the like, which require scalars, and then refuses to
 * load the model ("Scale and Zero-point must be a scalar"). The values are the same; other readers
 * keep the original tensors. Initializers, Constant nodes and Identity nodes of them count.
 */
final class QuantizerScalars {
  private QuantizerScalars() {}

  /** The model with its quantizers reading scalar copies, and how many inputs were rewired (0: the model as it was). */
  record Rewired(ModelProto model, int inputs) {}

  static Rewired rewire(ModelProto model) {
    GraphProto graph = model.getGraph();
    Map<String, TensorProto> oneElement = new HashMap<>();
    for (TensorProto t : graph.getInitializerList()) {
      if (t.getDimsCount() == 1 && t.getDims(0) == 1) {
        oneElement.put(t.getName(), t);
      }
    }
    for (NodeProto n : graph.getNodeList()) {
      if (n.getOpType().equals("Constant") && n.getAttributeCount() == 1 && n.getAttribute(0).getName().equals("value")
          && n.getAttribute(0).getT().getDimsCount() == 1 && n.getAttribute(0).getT().getDims(0) == 1) {
        oneElement.put(n.getOutput(0), n.getAttribute(0).getT());
      }
    }
    // PyTorch's export shares a scale between quantizers through Identity nodes.
    for (NodeProto n : graph.getNodeList()) {
      if (n.getOpType().equals("Identity") && oneElement.containsKey(n.getInput(0))) {
        oneElement.put(n.getOutput(0), oneElement.get(n.getInput(0)));
      }
    }
    Map<String, TensorProto> scalars = new LinkedHashMap<>();
    GraphProto.Builder g = graph.toBuilder();
    int rewired = 0;
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      if (!Quantizers.isQuantizer(n)) {
        continue;
      }
      NodeProto.Builder b = n.toBuilder();
      for (int k = 1; k < Math.min(3, b.getInputCount()); k++) {
        TensorProto t = oneElement.get(b.getInput(k));
        if (t != null) {
          String name = b.getInput(k) + "/netvis_scalar";
          scalars.computeIfAbsent(name, s -> t.toBuilder().setName(s).clearDims().build());
          b.setInput(k, name);
          rewired++;
        }
      }
      g.setNode(i, b);
    }
    if (rewired == 0) {
      return new Rewired(model, 0);
    }
    g.addAllInitializer(scalars.values());
    return new Rewired(model.toBuilder().setGraph(g).build(), rewired);
  }
}

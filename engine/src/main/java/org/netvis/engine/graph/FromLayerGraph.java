package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The forward model from a hidden tensor up: every node that read the tensor reads a graph input of
 * its shape instead ({@link #inputName}), and only the nodes the logits still need are kept. What a
 * forward hook that replaces a layer's output computes (Captum's layer ablation), without running the
 * layers below it again for every replacement. The image stays an input only where a path from it
 * reaches the logits around the tensor (a residual block's shortcut, when the tensor is inside the block).
 *
 * @param model the graph, with the logits as its only output
 * @param readsImage whether the image is still one of its inputs
 */
public record FromLayerGraph(ModelProto model, boolean readsImage) {

  /** Name of the graph input that replaces {@code tensor}. */
  public static String inputName(String tensor) {
    return "netvis/from/" + tensor;
  }

  /**
   * {@code forward} (prepared, channels first) cut at {@code tensor} of shape {@code shape}; {@code image}
   * names its input, {@code logits} its output, of shape {@code logitsShape}.
   */
  static FromLayerGraph of(ModelProto forward, String tensor, long[] shape, String image, String logits,
      long[] logitsShape) {
    GraphProto graph = forward.getGraph();
    String from = inputName(tensor);
    List<NodeProto> readers = new ArrayList<>();
    for (NodeProto n : graph.getNodeList()) {
      if (InputDependence.hasSubgraphs(n) && InputDependence.reads(n).contains(tensor)) {
        throw new GraphBuildException("tensor '" + tensor + "' is read inside the subgraph of node '" + n.getName()
            + "' (" + n.getOpType() + "); expected a tensor that nodes read directly");
      }
      NodeProto.Builder reader = n.toBuilder();
      for (int k = 0; k < n.getInputCount(); k++) {
        if (n.getInput(k).equals(tensor)) {
          reader.setInput(k, from);
        }
      }
      readers.add(reader.build());
    }
    Set<String> needed = new HashSet<>();
    List<NodeProto> kept = NeededNodes.of(readers, List.of(logits), needed);
    if (!needed.contains(from)) {
      throw new GraphBuildException("tensor '" + tensor + "' does not reach the logits '" + logits
          + "'; `netvis layers` lists the tensors that do");
    }
    boolean readsImage = needed.contains(image);
    GraphProto.Builder g = graph.toBuilder().clearNode().addAllNode(kept).clearValueInfo().clearInput().clearOutput();
    g.addOutput(GradientGraphBuilder.floatValue(logits, logitsShape));
    for (var input : graph.getInputList()) {
      if (!input.getName().equals(image) || readsImage) {
        g.addInput(input);
      }
    }
    g.addInput(GradientGraphBuilder.floatValue(from, shape));
    return new FromLayerGraph(forward.toBuilder().setGraph(g).build(), readsImage);
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The nodes of a topologically ordered graph that some of its outputs need, in their order. */
final class NeededNodes {
  private NeededNodes() {}

  /**
   * The nodes {@code outputs} are computed from, and {@code needed} grown by every tensor they read
   * (subgraphs' captures included): a graph input left out of it is one no kept node reads.
   */
  static List<NodeProto> of(List<NodeProto> nodes, Collection<String> outputs, Set<String> needed) {
    needed.addAll(outputs);
    Deque<NodeProto> kept = new ArrayDeque<>();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      NodeProto n = nodes.get(i);
      if (n.getOutputList().stream().anyMatch(needed::contains)) {
        kept.addFirst(n);
        needed.addAll(InputDependence.reads(n));
      }
    }
    return List.copyOf(kept);
  }

  static List<NodeProto> of(List<NodeProto> nodes, Collection<String> outputs) {
    return of(nodes, outputs, new HashSet<>());
  }
}

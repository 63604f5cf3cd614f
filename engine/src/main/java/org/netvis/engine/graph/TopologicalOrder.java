package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Puts nodes in an order where every node comes after the producers of its inputs, as ONNX requires,
 * moving as little as it can: of the nodes whose inputs are ready, the one listed first goes next.
 * A gradient graph needs it where a rule recomputes a forward tensor among its backward nodes.
 */
final class TopologicalOrder {
  private TopologicalOrder() {}

  /**
   * @param available the tensors there before any node runs: graph inputs and initializers
   * @throws GraphBuildException when some node reads a tensor nothing produces, or the nodes form a cycle
   */
  static List<NodeProto> of(List<NodeProto> nodes, Set<String> available) {
    Map<String, Integer> producer = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (String out : nodes.get(i).getOutputList()) {
        producer.put(out, i);
      }
    }
    int[] waitingFor = new int[nodes.size()];
    Map<Integer, List<Integer>> readers = new HashMap<>();
    PriorityQueue<Integer> ready = new PriorityQueue<>();
    for (int i = 0; i < nodes.size(); i++) {
      Set<Integer> from = new HashSet<>();
      for (String in : nodes.get(i).getInputList()) {
        if (in.isEmpty() || available.contains(in)) {
          continue;
        }
        Integer p = producer.get(in);
        if (p == null) {
          throw new GraphBuildException("node '" + nodes.get(i).getName() + "' reads '" + in
              + "', which no node produces and which is not a graph input or initializer");
        }
        if (from.add(p)) {
          readers.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
        }
      }
      waitingFor[i] = from.size();
      if (from.isEmpty()) {
        ready.add(i);
      }
    }
    List<NodeProto> sorted = new ArrayList<>(nodes.size());
    while (!ready.isEmpty()) {
      int i = ready.poll();
      sorted.add(nodes.get(i));
      for (int r : readers.getOrDefault(i, List.of())) {
        if (--waitingFor[r] == 0) {
          ready.add(r);
        }
      }
    }
    if (sorted.size() != nodes.size()) {
      throw new GraphBuildException("the graph's nodes form a cycle (" + (nodes.size() - sorted.size())
          + " nodes never become ready)");
    }
    return sorted;
  }
}

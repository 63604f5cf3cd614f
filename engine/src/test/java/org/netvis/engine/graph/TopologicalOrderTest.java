package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TopologicalOrderTest {

  private static NodeProto node(String name, List<String> inputs, String output) {
    return NodeProto.newBuilder().setName(name).setOpType("Add").addAllInput(inputs).addOutput(output).build();
  }

  private static List<String> names(List<NodeProto> nodes) {
    return nodes.stream().map(NodeProto::getName).toList();
  }

  @Test
  void nodesAlreadyInOrderKeepTheirOrder() {
    List<NodeProto> nodes = List.of(node("a", List.of("x", "w"), "a"), node("c", List.of("x"), "c"),
        node("b", List.of("a", "c"), "b"), node("d", List.of("b", "", "x"), "d"));
    assertEquals(List.of("a", "c", "b", "d"), names(TopologicalOrder.of(nodes, Set.of("x", "w"))));
  }

  @Test
  void aProducerListedAfterItsReadersMovesJustBeforeTheFirstOfThemAndNothingElseMoves() {
    // A rule's recomputation of a forward tensor sits among the backward nodes, at the end.
    List<NodeProto> nodes = List.of(node("f1", List.of("x"), "f1"), node("f2", List.of("y"), "f2"),
        node("f3", List.of("f2"), "f3"), node("b1", List.of("f3", "f1"), "b1"), node("y", List.of("f1"), "y"),
        node("b2", List.of("b1", "y"), "b2"));
    assertEquals(List.of("f1", "y", "f2", "f3", "b1", "b2"), names(TopologicalOrder.of(nodes, Set.of("x"))));
  }

  @Test
  void aTensorNothingProducesIsNamedInTheError() {
    List<NodeProto> nodes = List.of(node("a", List.of("x"), "a"), node("b", List.of("a", "ghost"), "b"));
    GraphBuildException e = assertThrows(GraphBuildException.class, () -> TopologicalOrder.of(nodes, Set.of("x")));
    assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("'ghost'"), e.getMessage());
  }

  @Test
  void aCycleIsAnError() {
    List<NodeProto> nodes = List.of(node("a", List.of("x", "b"), "a"), node("b", List.of("a"), "b"));
    GraphBuildException e = assertThrows(GraphBuildException.class, () -> TopologicalOrder.of(nodes, Set.of("x")));
    assertTrue(e.getMessage().contains("cycle"), e.getMessage());
  }
}

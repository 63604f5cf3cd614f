package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;

/** The reverse-mode rule of one operator: emits the gradients of a node's inputs. */
@FunctionalInterface
public interface NodeGradient {

  /**
   * Emits nodes computing the gradient of each active input of {@code node} and hands each to
   * {@link BackwardContext#accumulate}.
   *
   * @param outputGrads the gradient of each node output, or null where no gradient flows back
   */
  void backward(NodeProto node, List<String> outputGrads, BackwardContext ctx);
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Rewrites, in the gradient graph's copy of the forward pass, a Transpose read only by Gathers of
 * one index along its first axis (attention's {@code qkv.permute(2, 0, 3, 1, 4)} followed by
 * {@code q, k, v = qkv[0], qkv[1], qkv[2]}) into one Gather per part straight from the Transpose's
 * input: a Reshape to [batch, M, last], a Gather of the part's rows and a Reshape to the part's shape.
 *
 * <p>Why: ONNX Runtime runs a 5-D Transpose on one thread (Swin's first stage's alone took 10 of its
 * 390 ms per batch-32 VJP), and a Gather of one index copies its one block on one thread too; a
 * Gather of many rows runs on every thread. The values are copied, not computed, so they are the
 * same bit for bit. The gradient rules still see the original nodes; only the forward nodes the
 * graph runs change. Applies where the batch axis stays first and the last axis stays last in
 * each part, and nothing else (no graph output, no gradient node) reads the transposed tensor.
 */
final class TransposedGathers {
  private TransposedGathers() {}

  /**
   * @param readers the forward nodes that read a tensor
   * @param shape the shape of a forward tensor (-1 for the batch)
   * @param constant a constant tensor's value, or null
   * @param readElsewhere tensors read by gradient nodes or returned by the graph
   */
  static List<NodeProto> rewrite(List<NodeProto> nodes, Function<String, List<NodeProto>> readers,
      Function<String, long[]> shape, Function<String, TensorProto> constant, Set<String> readElsewhere,
      NodeEmitter e) {
    Map<NodeProto, List<NodeProto>> replaced = new HashMap<>();
    for (NodeProto n : nodes) {
      if (!n.getOpType().equals("Transpose") || readElsewhere.contains(n.getOutput(0))) {
        continue;
      }
      List<NodeProto> parts = readers.apply(n.getOutput(0));
      long[] in = shape.apply(n.getInput(0));
      long[] perm = Attributes.getInts(n, "perm");
      if (parts.isEmpty() || perm == null || !applies(in, perm)
          || !parts.stream().allMatch(g -> partIndex(g, n.getOutput(0), constant) != null)) {
        continue;
      }
      int rank = in.length;
      long middle = 1;
      for (int i = 1; i < rank - 1; i++) {
        middle *= in[i];
      }
      String rows = e.fresh("qkv_rows");
      replaced.put(n, List.of(node("Reshape", e, List.of(n.getInput(0),
          e.longs("qkv_rows_shape", 0, middle, in[rank - 1])), rows)));
      long[] partShape = new long[rank - 1];
      for (int j = 2; j < rank; j++) {
        partShape[j - 1] = in[(int) perm[j]];
      }
      for (NodeProto gather : parts) {
        long index = Math.floorMod(partIndex(gather, n.getOutput(0), constant), in[(int) perm[0]]);
        String picked = e.fresh("qkv_part_rows");
        replaced.put(gather, List.of(
            node("Gather", e, List.of(rows, e.longs("qkv_part_index", rowIndices(in, perm, index))), picked,
                Attributes.of("axis", 1L)),
            node("Reshape", e, List.of(picked, e.longs("qkv_part_shape", partShape)), gather.getOutput(0))));
      }
    }
    if (replaced.isEmpty()) {
      return nodes;
    }
    List<NodeProto> out = new ArrayList<>();
    for (NodeProto n : nodes) {
      out.addAll(replaced.getOrDefault(n, List.of(n)));
    }
    return out;
  }

  private static NodeProto node(String op, NodeEmitter e, List<String> inputs, String output,
      ai.onnx.proto.OnnxMl.AttributeProto... attributes) {
    return NodeProto.newBuilder().setOpType(op).setName(e.fresh("node_" + op)).addAllInput(inputs).addOutput(output)
        .addAllAttribute(List.of(attributes)).build();
  }

  /** Batch first and the last axis last in every part; all other sizes known. */
  private static boolean applies(long[] in, long[] perm) {
    int rank = in.length;
    if (rank < 3 || perm.length != rank || perm[1] != 0 || perm[rank - 1] != rank - 1) {
      return false;
    }
    return Arrays.stream(in, 1, rank).allMatch(d -> d > 0);
  }

  /** The scalar constant index of a Gather along axis 0 of {@code tensor}, or null. */
  private static Long partIndex(NodeProto gather, String tensor, Function<String, TensorProto> constant) {
    if (!gather.getOpType().equals("Gather") || !gather.getInput(0).equals(tensor)
        || Attributes.getInt(gather, "axis", 0) != 0) {
      return null;
    }
    TensorProto index = constant.apply(gather.getInput(1));
    if (index == null || index.getDimsCount() != 0) {
      return null;
    }
    return TensorProtos.toLongs(index)[0];
  }

  /**
   * For part {@code index}: the row (position over the input's middle axes, row-major) of each of
   * the part's rows in order (its axes 2..rank-2 are the input's axes perm[2..rank-2]).
   */
  private static long[] rowIndices(long[] in, long[] perm, long index) {
    int rank = in.length;
    long[] stride = new long[rank];
    stride[rank - 2] = 1;
    for (int i = rank - 3; i >= 1; i--) {
      stride[i] = stride[i + 1] * in[i + 1];
    }
    int free = rank - 3;
    long count = 1;
    for (int j = 2; j < rank - 1; j++) {
      count *= in[(int) perm[j]];
    }
    long[] rows = new long[(int) count];
    long[] position = new long[free];
    for (int k = 0; k < count; k++) {
      long row = index * stride[(int) perm[0]];
      for (int j = 0; j < free; j++) {
        row += position[j] * stride[(int) perm[j + 2]];
      }
      rows[k] = row;
      for (int j = free - 1; j >= 0; j--) {
        if (++position[j] < in[(int) perm[j + 2]]) {
          break;
        }
        position[j] = 0;
      }
    }
    return rows;
  }
}

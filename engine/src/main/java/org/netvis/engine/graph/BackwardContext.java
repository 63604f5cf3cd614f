package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What a gradient rule may know about the forward graph, and where it sends input gradients. */
public interface BackwardContext {

  NodeEmitter emit();

  /** How the nonlinearities pass gradients back in this graph (the true gradient unless guided, deconvnet or DeepLIFT). */
  default VjpSpec.Backward backward() {
    return VjpSpec.Backward.GRADIENT;
  }

  /** Each layer's relevance rule where {@link #backward()} is {@link VjpSpec.Backward#LRP}, else null. */
  default LrpRules lrpRules() {
    return null;
  }

  /** True when the tensor depends on the model input and carries float values. */
  boolean isActive(String tensor);

  /** The tensor's shape at the graph's fixed spatial size; -1 marks batch-dependent dimensions. */
  long[] shape(String tensor);

  /** Whether the tensor's first axis is the batch itself, one row per image, and no other axis depends on it. */
  default boolean batchRows(String tensor) {
    return false;
  }

  /** True when the tensor holds booleans (an attention mask, a Where condition). */
  boolean isBoolean(String tensor);

  /** The value of a constant tensor (initializer or Constant node output), or null when not constant. */
  TensorProto constant(String tensor);

  /**
   * {@code derive.apply(source)} for a constant derived from a weight tensor by a pure function
   * ({@code kind} naming it and whatever else it depends on), which the builder may remember from an
   * earlier build for an equal tensor instead of deriving it again.
   */
  default TensorProto derived(String kind, TensorProto source, java.util.function.UnaryOperator<TensorProto> derive) {
    return derive.apply(source);
  }

  /**
   * Whether a constant's values are mapped from one of the model's data files ({@link DataFiles}): a
   * constant derived from it is better derived by ONNX Runtime when it loads the graph, so that the
   * graph, which refers to the data files for the weights themselves, holds no copy of them.
   */
  default boolean inDataFile(TensorProto constant) {
    return false;
  }

  /** The forward node that computes the tensor, or null for graph inputs and initializers. */
  NodeProto producer(String tensor);

  /**
   * How many times the tensor is read: as a forward node's input, as a graph output, or as a tensor
   * the gradient graph is asked to seed from, return or differentiate. A rule may skip a tensor it is
   * the only reader of and send its gradient straight to the tensor's producer's input.
   */
  int readers(String tensor);

  /**
   * Records that every gradient {@code reluOutput} will receive is already zero wherever it is zero,
   * so that its Relu passes the gradient on without masking it again. Only the tensor's one reader
   * may say so (a max pool that masks its own, smaller, output gradient instead; a Concat that masks
   * the joined gradient before splitting it).
   */
  void premasked(String reluOutput);

  /** Whether {@link #premasked} was said of the tensor. */
  boolean isPremasked(String reluOutput);

  /**
   * Takes {@code node} out of the forward pass: the rule has emitted nodes that compute its outputs,
   * under the same names, from tensors its gradient needs anyway (LRN's output from its window sums,
   * in place of ONNX Runtime's slower LRN kernel). The graph's nodes are put back in topological order.
   */
  void recomputed(NodeProto node);

  /**
   * Writes the shape of an emitted tensor into the graph: {@code shape[i] >= 0} a fixed size,
   * {@code -k} k times the batch (-1 the batch itself), named {@code N*k}. ONNX shape inference loses
   * such an axis behind a Reshape to [-1, ...] (the max-pool gradient's [N*C, H*W] planes); with it
   * unknown, ONNX Runtime cannot tell that a node's output is as large as its input and gives the
   * output a buffer of its own where the node could work in place.
   */
  void declareShape(String tensor, long[] shape);

  /** Adds one contribution to the gradient of {@code tensor}; ignored when the tensor is not active. */
  void accumulate(String tensor, String gradient);

  /**
   * Says that the node's gradient with respect to {@code tensor} is zero (a step function: Floor,
   * Round, Sign), as PyTorch's backward gives: nothing is added, and the builder knows the rule did
   * not forget the input.
   */
  void zeroGradient(String tensor);

  /**
   * Adds the gradient of one part of {@code tensor}, the {@code length} positions from {@code start}
   * along {@code axis} (zero elsewhere), such as a Slice's or a Gather's. Parts along one axis that do
   * not overlap (attention's q, k and v; a channel split) are joined with one Concat rather than each
   * padded to full size and added.
   */
  void accumulatePart(String tensor, String gradient, int axis, long start, long length);

  /**
   * Adds the gradient of the elements start + k * step (k < count) of {@code tensor} on every axis,
   * such as a stepped Slice's; {@code full} emits it at full size (zeros between) where such parts do
   * not interleave to cover the tensor (patch merging's four every-other slices do).
   */
  void accumulateStrided(String tensor, String gradient, long[] starts, long[] steps, long[] counts,
      java.util.function.Supplier<String> full);

  default GraphBuildException fail(NodeProto node, String why) {
    return new GraphBuildException(node.getOpType() + " node '" + node.getName() + "': " + why);
  }

  default TensorProto requireConstant(NodeProto node, String tensor, String role) {
    TensorProto t = constant(tensor);
    if (t == null) {
      throw fail(node, role + " '" + tensor + "' must be a constant (initializer or Constant node)");
    }
    return t;
  }

  /** Input {@code i} of the node, or null when absent or empty. */
  static String input(NodeProto node, int i) {
    return i < node.getInputCount() && !node.getInput(i).isEmpty() ? node.getInput(i) : null;
  }

  /**
   * Sums a gradient of the output's (broadcast) shape down to {@code target}'s shape, undoing
   * numpy-style broadcasting.
   */
  default String unbroadcast(String gradient, String output, String target) {
    long[] y = shape(output);
    long[] t = shape(target);
    List<Long> axes = new ArrayList<>();
    int lead = y.length - t.length;
    for (int i = 0; i < y.length; i++) {
      if (i < lead) {
        axes.add((long) i);
      } else {
        long td = t[i - lead];
        long yd = y[i];
        if (td == 1 && yd != 1) {
          axes.add((long) i);
        }
      }
    }
    if (axes.isEmpty()) {
      return gradient;
    }
    String axesTensor = emit().longs("axes", axes.stream().mapToLong(Long::longValue).toArray());
    String summed = emit().op("ReduceSum", List.of(gradient, axesTensor), Attributes.of("keepdims", 1L));
    return lead > 0 ? emit().reshapeLike(summed, target) : summed;
  }

  static String describe(long[] shape) {
    return Arrays.toString(shape).replace("-1", "N");
  }
}

package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * ONNX Runtime's fused float operators (its com.microsoft domain) read as their definitions in ONNX
 * operators. Its transformer optimizer ({@code onnxruntime.transformers.optimizer}, Hugging Face
 * Optimum's {@code ORTOptimizer}) writes Attention, SkipLayerNormalization, BiasGelu, FastGelu, Gelu and
 * QuickGelu into the ViT, DeiT, BEiT and CLIP files it optimizes; a graph ONNX Runtime saved after its
 * own optimizations ({@code optimized_model_filepath}) holds FusedConv, FusedGemm and FusedMatMul.
 * netvis differentiates ONNX operators, so each fused one is written out as ONNX Runtime's operator
 * documentation and CPU kernels define it; the file's function does not change, and ONNX Runtime's
 * optimizer fuses most groups back for the forward pass. The last node of each expansion writes the
 * fused node's output under its own name and takes the node's name, so layers and errors read as in
 * the file.
 */
final class FusedOperators {
  private FusedOperators() {}

  /** The model with its fused operators written out, and how many of each type were (empty: the model as it was). */
  record Expanded(ModelProto model, Map<String, Integer> operators) {}

  private static final String MICROSOFT = "com.microsoft";

  /** The operators read, for error messages. */
  static final String READ = "Attention (without mask, past or rotary embedding), SkipLayerNormalization, Gelu,"
      + " BiasGelu, FastGelu, QuickGelu, FusedConv, FusedGemm, FusedMatMul, TransposeMatMul";

  private static final Set<String> OPERATORS = Set.of("Attention", "SkipLayerNormalization", "Gelu", "BiasGelu",
      "FastGelu", "QuickGelu", "FusedConv", "FusedGemm", "FusedMatMul", "TransposeMatMul");

  /** The activations ONNX Runtime fuses into FusedConv and FusedGemm ("": none), with the parameters each takes. */
  private static final Map<String, Set<String>> ACTIVATIONS = Map.ofEntries(Map.entry("", Set.of()),
      Map.entry("Relu", Set.of()), Map.entry("Tanh", Set.of()), Map.entry("Sigmoid", Set.of()),
      Map.entry("Softsign", Set.of()), Map.entry("Softplus", Set.of()), Map.entry("Silu", Set.of()),
      Map.entry("LeakyRelu", Set.of("alpha")), Map.entry("Elu", Set.of("alpha")),
      Map.entry("ThresholdedRelu", Set.of("alpha")), Map.entry("HardSigmoid", Set.of("alpha", "beta")),
      Map.entry("Selu", Set.of("alpha", "gamma")), Map.entry("Clip", Set.of("min", "max")));

  /** sqrt(2 / pi) and 0.044715: the tanh approximation of GELU, as ONNX Runtime's FastGelu kernel takes them. */
  private static final float TANH_ALPHA = (float) Math.sqrt(2 / Math.PI);
  private static final float TANH_GAMMA = 0.044715f;

  static Expanded expand(ModelProto model) {
    GraphProto graph = model.getGraph();
    if (graph.getNodeList().stream().noneMatch(FusedOperators::fused)) {
      return new Expanded(model, Map.of());
    }
    Map<String, TensorProto> constants = new HashMap<>();
    graph.getInitializerList().forEach(t -> constants.put(t.getName(), t));
    Map<String, Integer> ranks = new HashMap<>();
    for (List<ValueInfoProto> values : List.of(graph.getInputList(), graph.getValueInfoList(), graph.getOutputList())) {
      values.stream().filter(v -> v.getType().getTensorType().hasShape())
          .forEach(v -> ranks.put(v.getName(), v.getType().getTensorType().getShape().getDimCount()));
    }
    constants.values().forEach(t -> ranks.put(t.getName(), t.getDimsCount()));
    Set<String> read = new HashSet<>();
    graph.getNodeList().forEach(n -> read.addAll(n.getInputList()));
    graph.getOutputList().forEach(v -> read.add(v.getName()));

    NodeEmitter e = NodeEmitter.over(graph);
    Expansion x = new Expansion(e, constants, ranks, read, OpsetCanonicalizer.defaultOpset(model));
    Map<String, Integer> counts = new TreeMap<>();
    List<NodeProto> nodes = new ArrayList<>();
    for (NodeProto node : graph.getNodeList()) {
      if (!fused(node)) {
        nodes.add(node);
        continue;
      }
      int before = e.nodes().size();
      x.expand(node);
      counts.merge(node.getOpType(), 1, Integer::sum);
      nodes.addAll(e.nodes().subList(before, e.nodes().size()));
    }
    GraphProto.Builder g = graph.toBuilder().clearNode().addAllNode(nodes).addAllInitializer(e.initializers());
    return new Expanded(model.toBuilder().setGraph(g).build(), counts);
  }

  /** The domain of ONNX Runtime's blocked-channel layout, which its optimization level "all" writes on x86 CPUs. */
  private static final String NCHWC = "com.microsoft.nchwc";

  /**
   * Refuses a graph saved after ONNX Runtime's layout optimizations: its com.microsoft.nchwc nodes
   * keep activations and weights in channel blocks of the size the saving CPU's vector unit takes (8 or
   * 16), which the file does not record, so neither netvis nor ONNX Runtime on another CPU can read it
   * reliably. The message says how to save a file netvis reads.
   */
  static void refuseHardwareLayouts(ModelProto model, String source) {
    Map<String, Integer> blocked = new TreeMap<>();
    model.getGraph().getNodeList().stream().filter(n -> n.getDomain().equals(NCHWC))
        .forEach(n -> blocked.merge(n.getOpType(), 1, Integer::sum));
    if (!blocked.isEmpty()) {
      throw new GraphBuildException(source + ": saved after ONNX Runtime's layout optimizations (" + String.join(", ",
          blocked.entrySet().stream().map(c -> c.getValue() + " " + NCHWC + "." + c.getKey()).toList()) + "), which"
          + " keep weights in the channel blocks of the CPU that saved it, a layout the file does not record (ONNX"
          + " Runtime warns such a file is only for that machine); use the original model, or save the optimized one"
          + " at GraphOptimizationLevel ORT_ENABLE_EXTENDED, whose fused operators netvis reads");
    }
  }

  private static boolean fused(NodeProto n) {
    return n.getDomain().equals(MICROSOFT) && OPERATORS.contains(n.getOpType());
  }

  /**
   * Emits the expansion of one node after another.
   *
   * @param ranks tensors' ranks where the file records them (inputs, value_info, constants)
   * @param read every tensor a node or the graph's outputs read
   */
  private record Expansion(NodeEmitter e, Map<String, TensorProto> constants, Map<String, Integer> ranks,
      Set<String> read, long opset) {

    void expand(NodeProto n) {
      switch (n.getOpType()) {
        case "Gelu" -> gelu(n, n.getInput(0));
        case "BiasGelu" -> gelu(n, e.op("Add", List.of(n.getInput(0), n.getInput(1))));
        case "FastGelu" -> fastGelu(n);
        case "QuickGelu" -> {
          String x = n.getInput(0);
          float alpha = Attributes.getFloat(n, "alpha", 1.702f);
          into(n, 0, "Mul", List.of(x, e.op("Sigmoid", List.of(e.mul(x, e.scalar(alpha))))));
        }
        case "FusedConv" -> fusedConv(n);
        case "FusedGemm" -> fusedGemm(n);
        case "FusedMatMul", "TransposeMatMul" -> fusedMatMul(n);
        case "SkipLayerNormalization" -> skipLayerNormalization(n);
        case "Attention" -> attention(n);
        default -> throw new IllegalStateException(n.getOpType());
      }
    }

    /** GELU by its definition, x / 2 * (1 + erf(x / sqrt(2))). */
    private void gelu(NodeProto n, String x) {
      if (opset < 9) {
        throw refused(n, "needs Erf, which ONNX has from opset 9; the model imports opset " + opset);
      }
      String erf = e.op("Erf", List.of(e.mul(x, e.scalar((float) (1 / Math.sqrt(2))))));
      String half = e.mul(x, e.scalar(0.5f));
      into(n, 0, "Mul", List.of(half, e.op("Add", List.of(erf, e.scalar(1f)))));
    }

    /** FastGelu: the tanh approximation x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) of x + bias. */
    private void fastGelu(NodeProto n) {
      String x = input(n, 1) == null ? n.getInput(0) : e.op("Add", List.of(n.getInput(0), n.getInput(1)));
      String cubic = e.op("Add", List.of(e.mul(e.mul(x, x), e.scalar(TANH_GAMMA * TANH_ALPHA)), e.scalar(TANH_ALPHA)));
      String tanh = e.op("Tanh", List.of(e.mul(x, cubic)));
      into(n, 0, "Mul", List.of(e.mul(x, e.scalar(0.5f)), e.op("Add", List.of(tanh, e.scalar(1f)))));
    }

    /** FusedConv: activation(Conv(X, W, B) + Z), with the activation's parameters in activation_params. */
    private void fusedConv(NodeProto n) {
      NodeProto conv = Attributes.without(n, "activation", "activation_params");
      List<String> inputs = new ArrayList<>(List.of(n.getInput(0), n.getInput(1)));
      if (input(n, 2) != null) {
        inputs.add(n.getInput(2));
      }
      String value = e.op("Conv", inputs, conv.getAttributeList().toArray(AttributeProto[]::new));
      if (input(n, 3) != null) {
        value = e.op("Add", List.of(value, n.getInput(3)));
      }
      String kind = Attributes.getString(n, "activation", "");
      float[] params = Attributes.getFloats(n, "activation_params");
      Map<String, Float> named = new LinkedHashMap<>();
      List<String> names = switch (kind) {
        case "LeakyRelu" -> List.of("alpha");
        case "HardSigmoid" -> List.of("alpha", "beta");
        case "Clip" -> List.of("min", "max");
        default -> List.of();
      };
      if (!names.isEmpty() && (params == null || params.length != names.size())) {
        throw refused(n, "activation " + kind + " takes " + names.size() + " activation_params " + names + ", found "
            + (params == null ? "none" : params.length));
      }
      for (int i = 0; i < names.size(); i++) {
        named.put(names.get(i), params[i]);
      }
      activate(n, value, kind, named);
    }

    /** FusedGemm: activation(Gemm(A, B, C)), the activation's attributes named activation_alpha, _beta, _gamma. */
    private void fusedGemm(NodeProto n) {
      NodeProto gemm = Attributes.without(n, "activation", "activation_alpha", "activation_beta", "activation_gamma");
      String value = e.op("Gemm", n.getInputList(), gemm.getAttributeList().toArray(AttributeProto[]::new));
      Map<String, Float> named = new LinkedHashMap<>();
      for (String p : List.of("alpha", "beta", "gamma")) {
        Attributes.find(n, "activation_" + p).ifPresent(a -> named.put(p, a.getF()));
      }
      activate(n, value, Attributes.getString(n, "activation", ""), named);
    }

    /**
     * The activation ONNX Runtime fused into a FusedConv or FusedGemm, as the ONNX operator of that name
     * with its parameters (Silu, which ONNX has no operator for, as x * sigmoid(x)).
     */
    private void activate(NodeProto n, String value, String kind, Map<String, Float> params) {
      if (!ACTIVATIONS.containsKey(kind)) {
        throw refused(n, "activation '" + kind + "' is not one netvis reads; expected one of "
            + ACTIVATIONS.keySet().stream().filter(k -> !k.isEmpty()).sorted().toList());
      }
      switch (kind) {
        case "" -> into(n, 0, "Identity", List.of(value));
        case "Silu" -> into(n, 0, "Mul", List.of(value, e.op("Sigmoid", List.of(value))));
        case "Clip" -> {
          if (opset < 11) {
            into(n, 0, "Clip", List.of(value), Attributes.of("min", params.get("min")),
                Attributes.of("max", params.get("max")));
          } else {
            into(n, 0, "Clip", List.of(value, e.scalar(params.get("min")), e.scalar(params.get("max"))));
          }
        }
        default -> into(n, 0, kind, List.of(value), params.entrySet().stream()
            .filter(p -> ACTIVATIONS.get(kind).contains(p.getKey()))
            .map(p -> Attributes.of(p.getKey(), p.getValue())).toArray(AttributeProto[]::new));
      }
    }

    /**
     * FusedMatMul: alpha * op(A) @ op(B). op reads a tensor's axes in another order, as ONNX Runtime's
     * shape inference for the operator states it: transA swaps the last two axes; transBatchA makes
     * the first axis the matrix rows, the axes between it and the last the batch ([1, ..., r-2, 0, r-1]),
     * and with transA as well the rows and columns swap ([1, ..., r-2, r-1, 0]). A vector stays as it is.
     * ONNX Runtime's kernel takes transBatchA and transBatchB only with two inputs of one rank, 3 or more.
     */
    private void fusedMatMul(NodeProto n) {
      String a = operand(n, 0, "transA", "transBatchA");
      String b = operand(n, 1, "transB", "transBatchB");
      float alpha = Attributes.getFloat(n, "alpha", 1f);
      if (alpha == 1f) {
        into(n, 0, "MatMul", List.of(a, b));
      } else {
        into(n, 0, "Mul", List.of(e.op("MatMul", List.of(a, b)), e.scalar(alpha)));
      }
    }

    private String operand(NodeProto n, int i, String transposed, String batchTransposed) {
      boolean trans = Attributes.getInt(n, transposed, 0) != 0;
      boolean batch = Attributes.getInt(n, batchTransposed, 0) != 0;
      if (!trans && !batch) {
        return n.getInput(i);
      }
      Integer rank = ranks.get(n.getInput(i));
      if (rank == null) {
        return reorderedOfAnyRank(n, n.getInput(i), trans, batch);
      }
      if (rank < 2) {
        return n.getInput(i);
      }
      long[] perm = new long[rank];
      int next = 0;
      for (int d = batch ? 1 : 0; d < (batch ? rank - 1 : rank - 2); d++) {
        perm[next++] = d;
      }
      long rows = batch ? 0 : rank - 2;
      long columns = rank - 1;
      perm[next++] = trans ? columns : rows;
      perm[next] = trans ? rows : columns;
      return e.op("Transpose", List.of(n.getInput(i)), Attributes.of("perm", perm));
    }

    /**
     * {@link #operand}'s reordering where the file does not record the rank (ONNX Runtime's saved graphs
     * carry no value_info): the axes the reordering keeps in place are folded into one, a 3-D Transpose
     * moves the rest, and a Reshape to the reordered shape unfolds them.
     */
    private String reorderedOfAnyRank(NodeProto n, String x, boolean trans, boolean batch) {
      if (opset < 10) {
        throw refused(n, "reorders the axes of input '" + x + "', whose rank the file does not record, in a graph of"
            + " opset " + opset + "; netvis reads that from opset 10 (onnx.shape_inference.infer_shapes records it)");
      }
      String shape = e.shapeOf(x);
      if (batch) {
        String first = shapeSlice(shape, 0, 1);
        String middle = shapeSlice(shape, 1, -1);
        String last = shapeSlice(shape, -1, Long.MAX_VALUE);
        String folded = e.op("Reshape", List.of(x, concat(first, e.longs("shape", -1), last)));
        String moved = e.op("Transpose", List.of(folded), Attributes.of("perm", trans ? new long[] {1, 2, 0}
            : new long[] {1, 0, 2}));
        return e.op("Reshape", List.of(moved, trans ? concat(middle, last, first) : concat(middle, first, last)));
      }
      String lead = shapeSlice(shape, 0, -2);
      String rows = shapeSlice(shape, -2, -1);
      String columns = shapeSlice(shape, -1, Long.MAX_VALUE);
      String folded = e.op("Reshape", List.of(x, concat(e.longs("shape", -1), rows, columns)));
      String moved = e.op("Transpose", List.of(folded), Attributes.of("perm", new long[] {0, 2, 1}));
      return e.op("Reshape", List.of(moved, concat(lead, columns, rows)));
    }

    private String shapeSlice(String shape, long start, long end) {
      return e.op("Slice", List.of(shape, e.longs("starts", start), e.longs("ends", end)));
    }

    private String concat(String... parts) {
      return e.op("Concat", List.of(parts), Attributes.of("axis", 0L));
    }

    /**
     * SkipLayerNormalization: s = input + skip (+ bias), then LayerNormalization of s over the last
     * axis with gamma and beta; its fourth output, when read, is s. ONNX Runtime reads a
     * LayerNormalization at any opset (it writes one itself into files below opset 17).
     */
    private void skipLayerNormalization(NodeProto n) {
      refuseReadOutputs(n, Set.of(1, 2), "the mean and inverse standard deviation, which training saves");
      String sum = e.op("Add", List.of(n.getInput(0), n.getInput(1)));
      boolean bias = input(n, 4) != null;
      boolean sumRead = !readOutput(n, 3).isEmpty();
      if (bias) {
        sum = sumRead ? into(n, 3, "Add", List.of(sum, n.getInput(4))) : e.op("Add", List.of(sum, n.getInput(4)));
      } else if (sumRead) {
        sum = into(n, 3, "Identity", List.of(sum));
      }
      List<String> inputs = new ArrayList<>(List.of(sum, n.getInput(2)));
      if (input(n, 3) != null) {
        inputs.add(n.getInput(3));
      }
      into(n, 0, "LayerNormalization", inputs, Attributes.of("axis", -1L),
          Attributes.of("epsilon", Attributes.getFloat(n, "epsilon", 1e-12f)));
    }

    /**
     * Attention: Q, K and V from one projection (input @ weights + bias, split as qkv_hidden_sizes say,
     * else in thirds), split into num_heads heads, softmax(Q K^T * scale + attention_bias) V, heads
     * joined back: (batch, sequence, v_hidden_size).
     */
    private void attention(NodeProto n) {
      for (Map.Entry<Integer, String> slot : Map.of(3, "mask_index", 4, "past", 6, "past_sequence_length").entrySet()) {
        if (input(n, slot.getKey()) != null) {
          throw refused(n, "has a " + slot.getValue() + " input ('" + n.getInput(slot.getKey()) + "'); netvis reads"
              + " Attention without masks or past state, as image encoders use it");
        }
      }
      for (String a : List.of("unidirectional", "do_rotary", "past_present_share_buffer")) {
        if (Attributes.getInt(n, a, 0) != 0) {
          throw refused(n, "sets " + a + " " + Attributes.getInt(n, a, 0) + "; netvis reads bidirectional Attention"
              + " without rotary embedding, as image encoders use it");
        }
      }
      refuseReadOutputs(n, Set.of(1), "the present key and value state");
      long heads = Attributes.getInt(n, "num_heads", 0);
      long[] sizes = Attributes.getInts(n, "qkv_hidden_sizes");
      if (sizes == null) {
        TensorProto weights = constants.get(n.getInput(1));
        if (weights == null || weights.getDimsCount() != 2 || weights.getDims(1) % 3 != 0) {
          throw refused(n, "has no qkv_hidden_sizes, and its weights '" + n.getInput(1) + "' are not a constant of"
              + " shape (input_hidden_size, 3 * hidden_size) to tell them");
        }
        long third = weights.getDims(1) / 3;
        sizes = new long[] {third, third, third};
      }
      if (heads <= 0 || sizes.length != 3 || sizes[0] != sizes[1] || sizes[0] % heads != 0 || sizes[2] % heads != 0) {
        throw refused(n, "has num_heads " + heads + " and hidden sizes " + java.util.Arrays.toString(sizes)
            + "; expected Q and K of one size, and Q, K and V sizes that num_heads divides");
      }
      String projected = e.op("MatMul", List.of(n.getInput(0), n.getInput(1)));
      if (input(n, 2) != null) {
        projected = e.op("Add", List.of(projected, n.getInput(2)));
      }
      String q = slice(projected, 0, sizes[0]);
      String k = slice(projected, sizes[0], sizes[0] + sizes[1]);
      String v = slice(projected, sizes[0] + sizes[1], sizes[0] + sizes[1] + sizes[2]);
      long headSize = sizes[0] / heads;
      float scale = Attributes.getFloat(n, "scale", (float) (1 / Math.sqrt(headSize)));
      String qh = heads(q, heads, headSize, new long[] {0, 2, 1, 3});
      String kh = heads(k, heads, headSize, new long[] {0, 2, 3, 1});
      String vh = heads(v, heads, sizes[2] / heads, new long[] {0, 2, 1, 3});
      String scores = e.mul(e.op("MatMul", List.of(qh, kh)), e.scalar(scale));
      if (input(n, 5) != null) {
        scores = e.op("Add", List.of(scores, n.getInput(5)));
      }
      String weights = e.op("Softmax", List.of(scores), Attributes.of("axis", 3L));
      String context = e.op("Transpose", List.of(e.op("MatMul", List.of(weights, vh))),
          Attributes.of("perm", new long[] {0, 2, 1, 3}));
      into(n, 0, "Reshape", List.of(context, e.longs("shape", 0, 0, sizes[2])));
    }

    /** (batch, sequence, heads * size) as (batch, heads, ...) in the axis order {@code perm} gives. */
    private String heads(String x, long heads, long size, long[] perm) {
      String split = e.op("Reshape", List.of(x, e.longs("shape", 0, 0, heads, size)));
      return e.op("Transpose", List.of(split), Attributes.of("perm", perm));
    }

    /** Positions [start, end) of the last axis of a 3-D tensor. */
    private String slice(String x, long start, long end) {
      if (opset < 10) {
        return e.op("Slice", List.of(x), Attributes.of("starts", new long[] {start}),
            Attributes.of("ends", new long[] {end}), Attributes.of("axes", new long[] {2}));
      }
      return e.op("Slice", List.of(x, e.longs("starts", start), e.longs("ends", end), e.longs("axes", 2)));
    }

    private void refuseReadOutputs(NodeProto n, Set<Integer> outputs, String what) {
      for (int i : outputs) {
        if (!readOutput(n, i).isEmpty()) {
          throw refused(n, "has its output " + i + " ('" + n.getOutput(i) + "', " + what + ") read; netvis reads "
              + n.getOpType() + " for inference, where nothing reads it");
        }
      }
    }

    /** Emits the node that writes output {@code i} of the fused node {@code n}, under its name. */
    private String into(NodeProto n, int i, String opType, List<String> inputs, AttributeProto... attributes) {
      NodeProto.Builder b = NodeProto.newBuilder().setOpType(opType)
          .setName(i == 0 && !n.getName().isEmpty() ? n.getName() : e.fresh("node_" + opType))
          .addAllInput(inputs).addOutput(n.getOutput(i));
      for (AttributeProto a : attributes) {
        b.addAttribute(a);
      }
      e.add(b.build());
      return n.getOutput(i);
    }

    /** Output {@code i}'s name where the node has it and something reads it, else "". */
    private String readOutput(NodeProto n, int i) {
      return i < n.getOutputCount() && read.contains(n.getOutput(i)) ? n.getOutput(i) : "";
    }

    private static GraphBuildException refused(NodeProto n, String why) {
      return new GraphBuildException(MICROSOFT + "." + n.getOpType() + " node '" + n.getName() + "' " + why);
    }
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The QOperator format (ONNX Runtime's {@code quantize_static(quant_format=QOperator)}, the ONNX
 * model zoo's int8 models) read as the QDQ format: each integer operator becomes DequantizeLinear
 * of its inputs, the float operator, and QuantizeLinear into its output, and each operator that only
 * moves 8-bit values (MaxPool, Reshape, Flatten, ...) the same around its float self, with the
 * quantization parameters its input carries. Every integer tensor then sits between a
 * QuantizeLinear and DequantizeLinear pair, so the gradient passes straight through where the value
 * was not clamped, as for any QDQ model ({@link QuantizationGradients}); ONNX Runtime fuses the
 * groups back into its integer kernels for the forward pass. Each operator's definition
 * (onnx's QLinearConv and QLinearMatMul, ONNX Runtime's com.microsoft contrib operators) is
 * "dequantize, the float operator, quantize", so the rewrite changes no value the file defines.
 */
final class IntegerOperators {
  private IntegerOperators() {}

  /** The model with its integer operators expanded, and how many of each type were (empty: the model as it was). */
  record Expanded(ModelProto model, Map<String, Integer> operators) {}

  /**
   * A quantized tensor's scale and zero point, as tensor names (zero "" where the file leaves it
   * out), and the axis a per-axis scale runs along.
   */
  private record Quantization(String scale, String zero, long axis) {
    Quantization(String scale, String zero) {
      this(scale, zero, 1);
    }
  }

  private static final String MICROSOFT = "com.microsoft";
  private static final Set<String> CONTRIB = Set.of("QLinearConv", "QLinearAdd", "QLinearMul",
      "QLinearGlobalAveragePool", "QLinearAveragePool", "QLinearConcat", "QLinearSigmoid", "QLinearLeakyRelu", "QGemm",
      "QLinearSoftmax", "QLinearWhere", "QLinearReduceMean");

  /** The operators read, for error messages. */
  static final String READ = "QLinearConv, QLinearMatMul, QGemm, QLinearAdd, QLinearMul, QLinearConcat,"
      + " QLinearGlobalAveragePool, QLinearAveragePool, QLinearReduceMean, QLinearSigmoid, QLinearLeakyRelu,"
      + " QLinearSoftmax, QLinearWhere, and MaxPool, Reshape, Flatten, Transpose and other operators that move 8-bit"
      + " values";

  /** Operators that move 8-bit values without arithmetic, by the inputs that carry those values (Concat: all). */
  private static final Map<String, Set<Integer>> MOVERS = Map.ofEntries(
      Map.entry("MaxPool", Set.of(0)), Map.entry("GlobalMaxPool", Set.of(0)), Map.entry("Reshape", Set.of(0)),
      Map.entry("Flatten", Set.of(0)), Map.entry("Transpose", Set.of(0)), Map.entry("Squeeze", Set.of(0)),
      Map.entry("Unsqueeze", Set.of(0)), Map.entry("Identity", Set.of(0)), Map.entry("Slice", Set.of(0)),
      Map.entry("Gather", Set.of(0)), Map.entry("Split", Set.of(0)), Map.entry("Pad", Set.of(0, 2)),
      Map.entry("Resize", Set.of(0)), Map.entry("DepthToSpace", Set.of(0)), Map.entry("SpaceToDepth", Set.of(0)),
      Map.entry("Expand", Set.of(0)), Map.entry("Tile", Set.of(0)), Map.entry("Concat", Set.of()));

  static Expanded expand(ModelProto model) {
    GraphProto graph = model.getGraph();
    if (graph.getNodeList().stream().noneMatch(IntegerOperators::integerOperator)) {
      return new Expanded(model, Map.of());
    }
    long opset = OpsetCanonicalizer.defaultOpset(model);
    Map<String, TensorProto> constants = new HashMap<>();
    graph.getInitializerList().forEach(t -> constants.put(t.getName(), t));
    NodeEmitter e = NodeEmitter.over(graph);
    Map<String, Integer> counts = new TreeMap<>();
    List<NodeProto> nodes = new ArrayList<>();
    Expansion x = new Expansion(e, constants, opset, new HashMap<>(), new HashMap<>());
    for (NodeProto node : graph.getNodeList()) {
      int before = e.nodes().size();
      String op = node.getOpType();
      if (Quantizers.isQuantize(node)) {
        x.quantized().put(node.getOutput(0), new Quantization(node.getInput(1), input(node, 2),
            Attributes.getInt(node, "axis", 1)));
        nodes.add(node);
        continue;
      }
      String kind = integerOperator(node) ? op : standard(node) && movesQuantized(node, x.quantized()) ? op + " (8-bit)" : null;
      if (kind == null) {
        nodes.add(node);
        continue;
      }
      x.expand(node);
      counts.merge(kind, 1, Integer::sum);
      nodes.addAll(e.nodes().subList(before, e.nodes().size()));
    }
    GraphProto.Builder g = graph.toBuilder().clearNode().addAllNode(nodes).addAllInitializer(e.initializers());
    return new Expanded(model.toBuilder().setGraph(g).build(), counts);
  }

  private static boolean standard(NodeProto n) {
    return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
  }

  private static boolean integerOperator(NodeProto n) {
    String op = n.getOpType();
    if (standard(n)) {
      return op.equals("QLinearConv") || op.equals("QLinearMatMul");
    }
    return n.getDomain().equals(MICROSOFT) && CONTRIB.contains(op);
  }

  private static boolean movesQuantized(NodeProto n, Map<String, Quantization> quantized) {
    return MOVERS.containsKey(n.getOpType()) && n.getInputCount() > 0 && quantized.containsKey(n.getInput(0));
  }

  private static String input(NodeProto n, int i) {
    return i < n.getInputCount() ? n.getInput(i) : "";
  }

  /**
   * Emits the expansion of one node after another.
   *
   * @param dequantized each tensor's dequantized values, by tensor and parameters
   * @param quantized each 8-bit tensor's quantization parameters, as the nodes before set them
   */
  private record Expansion(NodeEmitter e, Map<String, TensorProto> constants, long opset,
      Map<String, String> dequantized, Map<String, Quantization> quantized) {

    void expand(NodeProto node) {
      String op = node.getOpType();
      List<AttributeProto> attributes = node.getAttributeList().stream()
          .filter(a -> !a.getName().equals("channels_last")).toList();
      if (Attributes.getInt(node, "channels_last", 0) != 0) {
        throw new GraphBuildException(op + " node '" + node.getName() + "' works on channels-last data"
            + " (channels_last 1); netvis reads integer operators on NCHW data only");
      }
      switch (op) {
        case "QLinearConv" -> {
          List<String> in = new ArrayList<>(List.of(dequantize(node, 0, 1, 2, 1),
              dequantize(node, 3, 4, 5, 0)));
          if (!input(node, 8).isEmpty()) {
            in.add(dequantizeBias(node, node.getInput(8), node.getInput(1), node.getInput(4), 0));
          }
          floatOp(node, "Conv", in, attributes, new Quantization(node.getInput(6), input(node, 7)));
        }
        case "QLinearMatMul" -> floatOp(node, "MatMul", List.of(dequantize(node, 0, 1, 2, -2),
            dequantize(node, 3, 4, 5, -1)), attributes, new Quantization(node.getInput(6), node.getInput(7)));
        case "QLinearAdd", "QLinearMul" -> floatOp(node, op.substring("QLinear".length()),
            List.of(dequantize(node, 0, 1, 2, 1), dequantize(node, 3, 4, 5, 1)), attributes,
            new Quantization(node.getInput(6), input(node, 7)));
        case "QLinearGlobalAveragePool", "QLinearAveragePool", "QLinearSigmoid", "QLinearLeakyRelu" ->
            floatOp(node, op.substring("QLinear".length()), List.of(dequantize(node, 0, 1, 2, 1)), attributes,
                new Quantization(node.getInput(3), input(node, 4)));
        case "QLinearConcat" -> {
          List<String> in = new ArrayList<>();
          for (int i = 2; i + 1 < node.getInputCount(); i += 3) {
            in.add(dequantize(node, i, i + 1, i + 2, 1));
          }
          floatOp(node, "Concat", in, attributes, new Quantization(node.getInput(0), node.getInput(1)));
        }
        case "QLinearWhere" -> floatOp(node, "Where", List.of(node.getInput(0), dequantize(node, 1, 2, 3, 1),
            dequantize(node, 4, 5, 6, 1)), attributes, new Quantization(node.getInput(7), node.getInput(8)));
        case "QLinearReduceMean" -> {
          String data = dequantize(node, 0, 1, 2, 1);
          Quantization out = new Quantization(node.getInput(3), input(node, 4));
          if (opset < 18) {
            floatOp(node, "ReduceMean", List.of(data), attributes, out);
          } else {
            // From opset 18 ReduceMean takes its axes as an input.
            floatOp(node, "ReduceMean", List.of(data, e.longs("axes", Attributes.getInts(node, "axes"))),
                List.of(Attributes.of("keepdims", Attributes.getInt(node, "keepdims", 1))), out);
          }
        }
        case "QLinearSoftmax" -> softmax(node);
        case "QGemm" -> {
          boolean transB = Attributes.getInt(node, "transB", 0) != 0;
          List<String> in = new ArrayList<>(List.of(dequantize(node, 0, 1, 2, 1),
              dequantize(node, 3, 4, 5, transB ? 0 : 1)));
          if (!input(node, 6).isEmpty()) {
            if (Attributes.getFloat(node, "alpha", 1f) != 1f) {
              // C's scale would be alpha * a_scale * b_scale; ONNX Runtime's quantizer writes alpha 1.
              throw new GraphBuildException("QGemm node '" + node.getName() + "' has alpha "
                  + Attributes.getFloat(node, "alpha", 1f) + " and a bias C; netvis reads QGemm with a bias at alpha 1");
            }
            in.add(dequantizeBias(node, node.getInput(6), node.getInput(1), node.getInput(4), 0));
          }
          String ys = input(node, 7);
          floatOp(node, "Gemm", in, attributes, ys.isEmpty() ? null : new Quantization(ys, input(node, 8)));
        }
        default -> moveQuantized(node);
      }
    }

    /**
     * QLinearSoftmax with the semantics of the Softmax of its {@code opset} attribute: from 13 along
     * one axis (default -1), before 13 over the input flattened at {@code axis} (default 1).
     */
    private void softmax(NodeProto node) {
      long semantics = Attributes.getInt(node, "opset", opset);
      boolean oneAxis = semantics >= 13;
      long axis = Attributes.getInt(node, "axis", oneAxis ? -1 : 1);
      String x = dequantize(node, 0, 1, 2, 1);
      Quantization out = new Quantization(node.getInput(3), input(node, 4));
      List<AttributeProto> axisAttribute = List.of(Attributes.of("axis", axis));
      if (oneAxis == (opset >= 13)) {
        floatOp(node, "Softmax", List.of(x), axisAttribute, out);
      } else if (!oneAxis) {
        // Softmax before opset 13 in a graph of 13 or later: over the input flattened at the axis.
        String flat = e.op("Flatten", List.of(x), Attributes.of("axis", axis));
        String soft = e.op("Softmax", List.of(flat), Attributes.of("axis", -1L));
        floatOp(node, "Reshape", List.of(soft, e.shapeOf(x)), List.of(), out);
      } else {
        throw new GraphBuildException("QLinearSoftmax node '" + node.getName() + "' has Softmax " + semantics
            + " semantics in a graph of opset " + opset + "; netvis reads it where the two agree, or from opset 13");
      }
    }

    /** An operator that moves 8-bit values, around its float self with the parameters its input carries. */
    private void moveQuantized(NodeProto node) {
      Quantization q = quantized.get(node.getInput(0));
      Set<Integer> data = MOVERS.get(node.getOpType());
      if (node.getOpType().equals("Pad") && opset < 11 && Attributes.getFloat(node, "value", 0f) != 0f) {
        throw new GraphBuildException("Pad node '" + node.getName() + "' pads 8-bit values with "
            + Attributes.getFloat(node, "value", 0f) + "; netvis reads 8-bit Pad with its value as an input (opset 11+)");
      }
      NodeProto.Builder b = node.toBuilder().clearOutput();
      for (int i = 0; i < node.getInputCount(); i++) {
        if (!node.getInput(i).isEmpty() && (data.contains(i) || node.getOpType().equals("Concat"))) {
          b.setInput(i, dequantizeWith(node.getInput(i), q, q.axis()));
        }
      }
      List<String> floats = new ArrayList<>();
      for (int i = 0; i < node.getOutputCount(); i++) {
        boolean values = i == 0 || node.getOpType().equals("Split"); // MaxPool's Indices stay int64
        String out = node.getOutput(i);
        if (out.isEmpty() || !values) {
          b.addOutput(out);
          floats.add(null);
        } else {
          String f = e.named(out + "/unquantized");
          b.addOutput(f);
          floats.add(f);
        }
      }
      e.add(b.build());
      for (int i = 0; i < floats.size(); i++) {
        if (floats.get(i) != null) {
          quantize(node, floats.get(i), node.getOutput(i), q);
        }
      }
    }

    /** The float operator named {@code type} over {@code inputs}, quantized into the node's output (not where {@code out} is null). */
    private void floatOp(NodeProto node, String type, List<String> inputs, List<AttributeProto> attributes,
        Quantization out) {
      String result = out == null ? node.getOutput(0) : e.named(node.getOutput(0) + "/unquantized");
      e.add(NodeProto.newBuilder().setOpType(type).setName(node.getName().isEmpty() ? e.fresh("node_" + type)
          : node.getName()).addAllInput(inputs).addOutput(result).addAllAttribute(attributes).build());
      if (out != null) {
        quantize(node, result, node.getOutput(0), out);
      }
    }

    private void quantize(NodeProto node, String value, String output, Quantization q) {
      NodeProto.Builder b = NodeProto.newBuilder().setOpType("QuantizeLinear")
          .setName((node.getName().isEmpty() ? output : node.getName()) + "/quantize").addInput(value).addInput(q.scale());
      if (!q.zero().isEmpty()) {
        b.addInput(q.zero());
      }
      if (opset >= 13) {
        b.addAttribute(Attributes.of("axis", q.axis()));
      }
      e.add(b.addOutput(output).build());
      quantized.put(output, q);
    }

    /** The node's input {@code value} dequantized with its scale and zero point inputs; {@code axis} for a per-axis scale. */
    private String dequantize(NodeProto node, int value, int scale, int zero, long axis) {
      return dequantizeWith(node.getInput(value), new Quantization(node.getInput(scale), input(node, zero)), axis);
    }

    /**
     * {@code value} dequantized with {@code q}; once for each tensor and parameters, as
     * "VALUE/dequantized" (the name under which a quantized layer's values can be visualized).
     */
    private String dequantizeWith(String value, Quantization q, long axis) {
      return dequantized.computeIfAbsent(String.join("\n", value, q.scale(), q.zero(), Long.toString(axis)),
          k -> newDequantize(value, q, axis));
    }

    private String newDequantize(String value, Quantization q, long axis) {
      List<String> inputs = q.zero().isEmpty() ? List.of(value, q.scale()) : List.of(value, q.scale(), q.zero());
      if (opset >= 13) {
        return e.opNamed("DequantizeLinear", inputs, value + "/dequantized", Attributes.of("axis", axis));
      }
      // Below opset 13 DequantizeLinear takes one scale: a constant's values are dequantized here instead.
      TensorProto scale = constants.get(q.scale());
      if (scale != null && TensorProtos.toFloats(scale).length > 1) {
        return fold(value, TensorProtos.toFloats(scale), q.zero().isEmpty() ? null
            : TensorProtos.toLongs(require(q.zero(), value)), axis);
      }
      return e.opNamed("DequantizeLinear", inputs, value + "/dequantized");
    }

    /** An int32 bias quantized with scale {@code scaleA} times {@code scaleB} (or {@code scaleA} alone) and zero point 0. */
    private String dequantizeBias(NodeProto node, String bias, String scaleA, String scaleB, long axis) {
      TensorProto a = constants.get(scaleA);
      TensorProto b = scaleB == null ? null : constants.get(scaleB);
      if (a != null && (scaleB == null || b != null)) {
        // The product as a constant (as ONNX Runtime folds it), which the sanity check's redraw can read.
        float[] sa = TensorProtos.toFloats(a);
        float[] sb = b == null ? new float[] {1f} : TensorProtos.toFloats(b);
        float[] product = new float[Math.max(sa.length, sb.length)];
        for (int i = 0; i < product.length; i++) {
          product[i] = sa[sa.length == 1 ? 0 : i] * sb[sb.length == 1 ? 0 : i];
        }
        if (product.length > 1 && opset < 13) {
          return fold(bias, product, null, axis);
        }
        String scale = e.floats(bias + "/scale", product.length > 1 ? new long[] {product.length} : new long[0], product);
        return opset >= 13 ? e.opNamed("DequantizeLinear", List.of(bias, scale), bias + "/dequantized",
            Attributes.of("axis", axis)) : e.opNamed("DequantizeLinear", List.of(bias, scale), bias + "/dequantized");
      }
      if (opset < 13) {
        throw new GraphBuildException(node.getOpType() + " node '" + node.getName() + "' scales its bias with a"
            + " scale computed in the graph; netvis needs constant scales below opset 13");
      }
      String scale = scaleB == null ? scaleA : e.op("Mul", List.of(scaleA, scaleB));
      return e.opNamed("DequantizeLinear", List.of(bias, scale), bias + "/dequantized", Attributes.of("axis", axis));
    }

    /** A constant integer tensor's float values, (q - zero) * scale per slice along {@code axis}, as DequantizeLinear computes them. */
    private String fold(String name, float[] scale, long[] zero, long axis) {
      TensorProto t = require(name, name);
      return e.floats(name + "/dequantized", TensorProtos.shape(t), TensorProtos.dequantized(t, scale, zero, axis));
    }

    private TensorProto require(String name, String reader) {
      TensorProto t = constants.get(name);
      if (t == null) {
        throw new GraphBuildException("'" + reader + "' is quantized per axis with '" + name + "', which is computed in"
            + " the graph; netvis needs per-axis parameters and their tensors as initializers below opset 13");
      }
      return t;
    }
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic quantization (ONNX Runtime's {@code quantize_dynamic}, the usual int8 form of transformer
 * models) read so that its gradient passes as for static quantization. In the file a
 * DynamicQuantizeLinear quantizes a tensor with a scale and zero point computed from its values,
 * MatMulInteger or ConvInteger multiplies the integers, and a Cast and a Mul by the product of the
 * two scales bring the result back to float. netvis quantizes each image with its own scale and zero
 * point (what ONNX Runtime computes for a batch of one; over a batch it computes one for all, so an
 * image's scores would depend on the others), through a QuantizeLinear -> DequantizeLinear pair along
 * the batch axis, computes the product in float from the dequantized values, and gives the
 * DynamicQuantizeLinear's scale the value 1 so that the file's own rescaling Mul applies the weights'
 * scale alone. The product's values are the file's; rounding's gradient is straight-through.
 */
final class DynamicQuantization {
  private DynamicQuantization() {}

  /**
   * The model read so, and how many DynamicQuantizeLinear and integer products (MatMulInteger, ConvInteger,
   * QAttention) were (0 and 0: the model as it was).
   */
  record Rewritten(ModelProto model, int quantizers, int products) {}

  private static final Set<String> PRODUCTS = Set.of("MatMulInteger", "ConvInteger");
  private static final String MICROSOFT = "com.microsoft";

  static Rewritten rewrite(ModelProto model) {
    GraphProto graph = model.getGraph();
    if (graph.getNodeList().stream().noneMatch(n -> standard(n) && n.getOpType().equals("DynamicQuantizeLinear"))) {
      return new Rewritten(model, 0, 0);
    }
    long opset = OpsetCanonicalizer.defaultOpset(model);
    Map<String, List<NodeProto>> readers = new HashMap<>();
    for (NodeProto n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
    Map<String, TensorProto> constants = new HashMap<>();
    graph.getInitializerList().forEach(t -> constants.put(t.getName(), t));
    NodeEmitter e = NodeEmitter.over(graph);
    Map<String, String> dequantized = new HashMap<>();
    Set<String> floatProducts = new HashSet<>();
    List<NodeProto> nodes = new ArrayList<>();
    int quantizers = 0;
    int attentions = 0;
    for (NodeProto n : graph.getNodeList()) {
      int before = e.nodes().size();
      if (standard(n) && n.getOpType().equals("DynamicQuantizeLinear")) {
        if (opset < 13) {
          throw new GraphBuildException("DynamicQuantizeLinear node '" + n.getName() + "' in a graph of opset " + opset
              + "; netvis reads dynamic quantization from opset 13 (each image's scale needs QuantizeLinear's axis)");
        }
        checkReaders(n, readers);
        dequantized.put(n.getOutput(0), perImage(n, e, opset));
        quantizers++;
      } else if (standard(n) && PRODUCTS.contains(n.getOpType()) && dequantized.containsKey(n.getInput(0))) {
        List<String> inputs = List.of(dequantized.get(n.getInput(0)), floatOperand(n, dequantized, constants, e));
        e.add(NodeProto.newBuilder().setOpType(n.getOpType().equals("MatMulInteger") ? "MatMul" : "Conv")
            .setName(n.getName().isEmpty() ? e.fresh("node_product") : n.getName()).addAllInput(inputs).addOutput(n.getOutput(0)).addAllAttribute(n.getAttributeList())
            .build());
        floatProducts.add(n.getOutput(0));
      } else if (n.getDomain().equals(MICROSOFT) && n.getOpType().equals("QAttention")) {
        e.add(floatAttention(n, dequantized, constants, e));
        attentions++;
      } else {
        nodes.add(n);
        continue;
      }
      nodes.addAll(e.nodes().subList(before, e.nodes().size()));
    }
    GraphProto.Builder g = graph.toBuilder().clearNode().addAllNode(nodes).addAllInitializer(e.initializers());
    // The products are float now; a declared int32 type would contradict them.
    for (int i = g.getValueInfoCount() - 1; i >= 0; i--) {
      if (floatProducts.contains(g.getValueInfo(i).getName())) {
        g.removeValueInfo(i);
      }
    }
    return new Rewritten(model.toBuilder().setGraph(g).build(), quantizers, floatProducts.size() + attentions);
  }

  private static boolean standard(NodeProto n) {
    return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
  }

  /**
   * The pattern this reading relies on: the integers go only into products, the scale only into
   * Muls (the rescaling), the zero point only into the products.
   */
  private static void checkReaders(NodeProto n, Map<String, List<NodeProto>> readers) {
    for (int i = 0; i < 3; i++) {
      for (NodeProto r : readers.getOrDefault(n.getOutput(i), List.of())) {
        boolean attention = r.getDomain().equals(MICROSOFT) && r.getOpType().equals("QAttention");
        boolean expected = attention || (i == 1 ? r.getOpType().equals("Mul") : PRODUCTS.contains(r.getOpType()));
        if (!expected) {
          throw new GraphBuildException("DynamicQuantizeLinear node '" + n.getName() + "': its "
              + List.of("integers", "scale", "zero point").get(i) + " '" + n.getOutput(i) + "' is read by "
              + r.getOpType() + " node '" + r.getName() + "'; netvis reads dynamic quantization as ONNX Runtime's"
              + " quantize_dynamic writes it (integers and zero point into MatMulInteger or ConvInteger, the scale"
              + " into the Mul that rescales their product, or all three into QAttention)");
        }
      }
    }
  }

  /**
   * Each image quantized with its own scale (its range, widened to hold 0, over 255) and zero point,
   * as DynamicQuantizeLinear defines them; the file's scale becomes 1 and its zero point 0. Returns
   * the dequantized values.
   */
  private static String perImage(NodeProto n, NodeEmitter e, long opset) {
    String x = n.getInput(0);
    String flat = e.op("Flatten", List.of(x), Attributes.of("axis", 1L));
    String zero = e.scalar(0f);
    String low = e.op("Min", List.of(reduce("ReduceMin", flat, e, opset), zero));
    String high = e.op("Max", List.of(reduce("ReduceMax", flat, e, opset), zero));
    // A tensor of zeros has no range; any positive scale quantizes it to the zero point.
    String scale = e.op("Max", List.of(e.op("Div", List.of(e.op("Sub", List.of(high, low)), e.scalar(255f))),
        e.scalar(Float.MIN_NORMAL)));
    String zeroPoint = e.op("Cast", List.of(e.op("Clip", List.of(e.op("Round", List.of(e.op("Div",
        List.of(e.op("Neg", List.of(low)), scale)))), zero, e.scalar(255f)))),
        Attributes.of("to", (long) TensorProto.DataType.UINT8_VALUE));
    String name = (n.getName().isEmpty() ? n.getOutput(0) : n.getName()) + "/per_image";
    e.add(NodeProto.newBuilder().setOpType("QuantizeLinear").setName(name).addInput(x).addInput(scale)
        .addInput(zeroPoint).addOutput(n.getOutput(0)).addAttribute(Attributes.of("axis", 0L)).build());
    String values = e.opNamed("DequantizeLinear", List.of(n.getOutput(0), scale, zeroPoint),
        n.getOutput(0) + "/dequantized", Attributes.of("axis", 0L));
    e.add(constantNode(n.getOutput(1), TensorProtos.floats("value", new long[0], new float[] {1f}), e));
    e.add(constantNode(n.getOutput(2), TensorProto.newBuilder().setName("value")
        .setDataType(TensorProto.DataType.UINT8_VALUE).addInt32Data(0).build(), e));
    return values;
  }

  private static NodeProto constantNode(String output, TensorProto value, NodeEmitter e) {
    return NodeProto.newBuilder().setOpType("Constant").setName(e.fresh("node_Constant")).addOutput(output)
        .addAttribute(Attributes.of("value", value)).build();
  }

  /** Each row's minimum or maximum: axes as an attribute before opset 18, as an input from it. */
  private static String reduce(String op, String flat, NodeEmitter e, long opset) {
    return opset >= 18
        ? e.op(op, List.of(flat, e.longs("axes", 1L)), Attributes.of("keepdims", 0L))
        : e.op(op, List.of(flat), Attributes.of("axes", new long[] {1}), Attributes.of("keepdims", 0L));
  }

  /**
   * QAttention (quantize_dynamic's form of an optimized transformer's com.microsoft Attention) as that
   * float Attention: its input the per-image dequantized values, its weights (weight - weight_zero_point)
   * * weight_scale per tensor or per column, exactly; bias and attributes as they are (a mask or past state
   * is refused here, in the file's terms). {@link FusedOperators} then writes the Attention out.
   */
  private static NodeProto floatAttention(NodeProto n, Map<String, String> dequantized,
      Map<String, TensorProto> constants, NodeEmitter e) {
    String input = n.getInput(0);
    if (!dequantized.containsKey(input)) {
      throw new GraphBuildException("QAttention node '" + n.getName() + "' reads '" + input + "', which no"
          + " DynamicQuantizeLinear quantizes; netvis reads QAttention as ONNX Runtime's quantize_dynamic writes it");
    }
    for (int i : new int[] {5, 8}) {
      if (i < n.getInputCount() && !n.getInput(i).isEmpty()) {
        throw new GraphBuildException("QAttention node '" + n.getName() + "' has a " + (i == 5 ? "mask_index" : "past")
            + " input ('" + n.getInput(i) + "'); netvis reads attention without masks or past state, as image encoders"
            + " use it");
      }
    }
    String weight = n.getInput(1);
    TensorProto levels = constants.get(weight);
    TensorProto scale = constants.get(n.getInput(4));
    String zeroName = n.getInputCount() > 7 ? n.getInput(7) : "";
    TensorProto zero = zeroName.isEmpty() ? null : constants.get(zeroName);
    if (levels == null || scale == null || (!zeroName.isEmpty() && zero == null)) {
      throw new GraphBuildException("QAttention node '" + n.getName() + "': its weight '" + weight + "', weight_scale"
          + " and weight_zero_point must be constants; netvis reads QAttention as quantize_dynamic writes it");
    }
    String weights = e.floats(weight + "/dequantized", TensorProtos.shape(levels), TensorProtos.dequantized(levels,
        TensorProtos.toFloats(scale), zero == null ? null : TensorProtos.toLongs(zero), 1));
    return NodeProto.newBuilder().setOpType("Attention").setDomain(MICROSOFT).setName(n.getName())
        .addAllInput(List.of(dequantized.get(input), weights, n.getInput(2))).addAllOutput(n.getOutputList())
        .addAllAttribute(n.getAttributeList()).build();
  }

  /**
   * The product's second operand in float: another dynamically quantized tensor's dequantized
   * values, or constant integer weights less their zero point (per column of MatMulInteger's B, per
   * output channel of ConvInteger's w), exactly.
   */
  private static String floatOperand(NodeProto n, Map<String, String> dequantized, Map<String, TensorProto> constants,
      NodeEmitter e) {
    String b = n.getInput(1);
    if (dequantized.containsKey(b)) {
      return dequantized.get(b);
    }
    TensorProto levels = constants.get(b);
    String zeroName = n.getInputCount() > 3 ? n.getInput(3) : "";
    TensorProto zero = zeroName.isEmpty() ? null : constants.get(zeroName);
    if (levels == null || (!zeroName.isEmpty() && zero == null)) {
      throw new GraphBuildException(n.getOpType() + " node '" + n.getName() + "' multiplies by '" + b + "', neither"
          + " a constant nor dynamically quantized by the graph; netvis reads integer products of those");
    }
    long[] zeros = zero == null ? null : TensorProtos.toLongs(zero);
    float[] ones = new float[zeros == null ? 1 : zeros.length];
    java.util.Arrays.fill(ones, 1f);
    long axis = n.getOpType().equals("ConvInteger") ? 0 : -1;
    return e.floats(b + "/less_zero_point", TensorProtos.shape(levels), TensorProtos.dequantized(levels, ones, zeros, axis));
  }
}

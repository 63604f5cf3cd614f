package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Brings a forward graph of any opset from 7 up to {@link #TARGET_OPSET}, so that gradient rules
 * emit one dialect. Only the operators whose signature changed between opsets are rewritten;
 * Dropout becomes Identity since the engine only runs inference.
 */
final class OpsetCanonicalizer {
  static final int TARGET_OPSET = 17;
  static final long TARGET_IR_VERSION = 8;

  private OpsetCanonicalizer() {}

  static long defaultOpset(ModelProto model) {
    for (OperatorSetIdProto id : model.getOpsetImportList()) {
      if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
        return id.getVersion();
      }
    }
    throw new GraphBuildException("the model imports no default ONNX opset");
  }

  static ModelProto canonicalize(ModelProto model) {
    long opset = defaultOpset(model);
    if (opset > TARGET_OPSET) {
      // Newer graphs keep their opset; the rules emit only ops whose signature is stable past 17,
      // except ReduceMean/ReduceSum axes which the rules pass as inputs (valid from 13 and 18).
      return model;
    }
    if (opset < 7) {
      throw new GraphBuildException("the model uses ONNX opset " + opset + "; netvis supports opset 7 and newer");
    }
    GraphProto graph = model.getGraph();
    NodeEmitter emitter = NodeEmitter.over(graph);
    Set<String> used = new HashSet<>();
    graph.getNodeList().forEach(n -> used.addAll(n.getInputList()));
    graph.getOutputList().forEach(v -> used.add(v.getName()));
    Map<String, TensorProto> constants = new HashMap<>();
    graph.getInitializerList().forEach(t -> constants.put(t.getName(), t));
    graph.getNodeList().stream().filter(n -> n.getOpType().equals("Constant"))
        .forEach(n -> Attributes.find(n, "value").ifPresent(v -> constants.put(n.getOutput(0), v.getT())));

    List<NodeProto> nodes = new ArrayList<>();
    for (NodeProto node : graph.getNodeList()) {
      if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
        nodes.add(node);
        continue;
      }
      upgrade(node, opset, emitter, used, constants, nodes);
    }
    GraphProto.Builder g = graph.toBuilder().clearNode().addAllNode(nodes).addAllInitializer(emitter.initializers());
    ModelProto.Builder m = model.toBuilder().setGraph(g);
    m.clearOpsetImport();
    for (OperatorSetIdProto id : model.getOpsetImportList()) {
      if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
        m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(TARGET_OPSET));
      } else {
        m.addOpsetImport(id);
      }
    }
    return m.setIrVersion(Math.max(model.getIrVersion(), TARGET_IR_VERSION)).build();
  }

  private static void upgrade(NodeProto node, long opset, NodeEmitter e, Set<String> used,
      Map<String, TensorProto> constants, List<NodeProto> out) {
    NodeProto n = Attributes.without(node, "consumed_inputs");
    switch (n.getOpType()) {
      case "Dropout" -> {
        if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty() && used.contains(n.getOutput(1))) {
          throw new GraphBuildException("Dropout node '" + n.getName() + "': its mask output is used; expected an inference graph");
        }
        out.add(NodeProto.newBuilder().setOpType("Identity").setName(n.getName())
            .addInput(n.getInput(0)).addOutput(n.getOutput(0)).build());
      }
      case "Add", "Sub", "Mul", "Div", "Gemm", "Sum" -> {
        if (Attributes.find(n, "axis").isPresent() && opset < 7) {
          throw new GraphBuildException(n.getOpType() + " node '" + n.getName() + "': legacy axis broadcasting is not supported");
        }
        out.add(Attributes.without(n, "broadcast"));
      }
      case "BatchNormalization" -> {
        if (Attributes.getInt(n, "spatial", 1) != 1) {
          throw new GraphBuildException("BatchNormalization node '" + n.getName() + "': spatial=0 is not supported");
        }
        out.add(Attributes.without(n, "spatial", "is_test"));
      }
      case "Clip" -> {
        if (opset < 11) {
          float lo = Attributes.getFloat(n, "min", -Float.MAX_VALUE);
          float hi = Attributes.getFloat(n, "max", Float.MAX_VALUE);
          out.add(Attributes.without(n, "min", "max").toBuilder().addInput(e.scalar(lo)).addInput(e.scalar(hi)).build());
        } else {
          out.add(n);
        }
      }
      case "Squeeze", "Unsqueeze" -> out.add(opset < 13 ? attributeToInput(n, "axes", 1, e) : n);
      case "Split" -> out.add(opset < 13 ? attributeToInput(n, "split", 1, e) : n);
      case "ReduceSum" -> out.add(opset < 13 ? attributeToInput(n, "axes", 1, e) : n);
      case "Reshape" -> out.add(opset < 5 ? attributeToInput(n, "shape", 1, e) : n);
      case "Slice" -> {
        if (opset < 10) {
          NodeProto.Builder b = Attributes.without(n, "starts", "ends", "axes").toBuilder();
          b.addInput(e.longs("starts", Attributes.getInts(n, "starts")));
          b.addInput(e.longs("ends", Attributes.getInts(n, "ends")));
          long[] axes = Attributes.getInts(n, "axes");
          if (axes != null) {
            b.addInput(e.longs("axes", axes));
          }
          out.add(b.build());
        } else {
          out.add(n);
        }
      }
      case "Pad" -> {
        if (opset < 11) {
          NodeProto.Builder b = Attributes.without(n, "pads", "value").toBuilder();
          b.addInput(e.longs("pads", Attributes.getInts(n, "pads")));
          b.addInput(e.scalar(Attributes.getFloat(n, "value", 0f)));
          out.add(b.build());
        } else {
          out.add(n);
        }
      }
      case "Softmax", "LogSoftmax" -> {
        if (opset < 13) {
          // Softmax before 13 flattens to 2-D at `axis`; Flatten + Softmax(-1) + Reshape says exactly that.
          long axis = Attributes.getInt(n, "axis", 1);
          String flat = e.op("Flatten", List.of(n.getInput(0)), Attributes.of("axis", axis));
          String soft = e.op(n.getOpType(), List.of(flat), Attributes.of("axis", -1L));
          out.addAll(e.nodes());
          e.nodes().clear();
          out.add(NodeProto.newBuilder().setOpType("Reshape").setName(n.getName())
              .addInput(soft).addInput(shapeNode(n.getInput(0), e, out)).addOutput(n.getOutput(0)).build());
        } else {
          out.add(n);
        }
      }
      case "Upsample" -> out.add(upsampleAsResize(n, opset, e, constants));
      default -> out.add(n);
    }
    out.addAll(e.nodes());
    e.nodes().clear();
  }

  /**
   * Upsample (opsets 7 to 9) as the Resize ONNX Runtime runs it as: asymmetric coordinates, and for
   * nearest its rounding down (scales are 1 or more). The scales are an attribute before opset 9 and a
   * constant input from it.
   */
  private static NodeProto upsampleAsResize(NodeProto n, long opset, NodeEmitter e, Map<String, TensorProto> constants) {
    float[] scales = Attributes.getFloats(n, "scales");
    if (opset >= 9) {
      TensorProto given = n.getInputCount() > 1 ? constants.get(n.getInput(1)) : null;
      if (given == null) {
        throw new GraphBuildException("Upsample node '" + n.getName() + "': its scales '"
            + (n.getInputCount() > 1 ? n.getInput(1) : "") + "' are not a constant; expected constant scales");
      }
      scales = TensorProtos.toFloats(given);
    }
    if (scales == null) {
      throw new GraphBuildException("Upsample node '" + n.getName() + "' has no scales");
    }
    for (float f : scales) {
      if (f < 1) {
        throw new GraphBuildException("Upsample node '" + n.getName() + "' has scale " + f + "; ONNX defines Upsample"
            + " for scales of 1 or more");
      }
    }
    String mode = Attributes.getString(n, "mode", "nearest");
    String scaleInput = e.floats("upsample_scales", new long[] {scales.length}, scales);
    return NodeProto.newBuilder().setOpType("Resize").setName(n.getName()).addInput(n.getInput(0)).addInput("")
        .addInput(scaleInput).addOutput(n.getOutput(0)).addAttribute(Attributes.of("mode", mode))
        .addAttribute(Attributes.of("coordinate_transformation_mode", "asymmetric"))
        .addAttribute(Attributes.of("nearest_mode", "floor")).build();
  }

  private static String shapeNode(String tensor, NodeEmitter e, List<NodeProto> out) {
    String s = e.shapeOf(tensor);
    out.addAll(e.nodes());
    e.nodes().clear();
    return s;
  }

  private static NodeProto attributeToInput(NodeProto n, String attribute, int index, NodeEmitter e) {
    long[] values = Attributes.getInts(n, attribute);
    if (values == null) {
      return n;
    }
    NodeProto.Builder b = Attributes.without(n, attribute).toBuilder();
    while (b.getInputCount() < index) {
      b.addInput("");
    }
    String name = e.longs(attribute, values);
    if (b.getInputCount() == index) {
      b.addInput(name);
    } else {
      b.setInput(index, name);
    }
    return b.build();
  }

}

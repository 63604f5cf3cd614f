package org.netvis.engine.testing;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.netvis.engine.graph.Attributes;
import org.netvis.engine.graph.TensorProtos;

/**
 * Rewrites the shared SqueezeNet 1.1 export the way the ONNX model zoo's squeezenet1.1-7.onnx is
 * written: opset 9, input "data" and output "squeezenet0_flatten0_reshape0" with a fixed batch of 1,
 * a Dropout before the classifier, explicit asymmetric MaxPool pads instead of ceil_mode, a 13x13
 * AveragePool instead of GlobalAveragePool, and a Reshape to [1, 1000] instead of Flatten.
 */
public final class ZooStyleExport {
  public static final String INPUT = "data";
  public static final String OUTPUT = "squeezenet0_flatten0_reshape0";

  private ZooStyleExport() {}

  public static Path write(Path source, Path target) throws IOException {
    ModelProto src = ModelProto.parseFrom(Files.readAllBytes(source));
    GraphProto graph = src.getGraph();
    String oldInput = graph.getInput(0).getName();
    String oldOutput = graph.getOutput(0).getName();
    GraphProto.Builder g = graph.toBuilder().clearNode().clearInput().clearOutput().clearValueInfo();
    g.addInput(TestGraph.value(INPUT, 1, 3, 224, 224));
    NodeProto lastConv = null;
    for (NodeProto n : graph.getNodeList()) {
      if (n.getOpType().equals("Conv")) {
        lastConv = n;
      }
    }
    for (NodeProto original : graph.getNodeList()) {
      NodeProto.Builder n = original.toBuilder();
      for (int i = 0; i < n.getInputCount(); i++) {
        if (n.getInput(i).equals(oldInput)) {
          n.setInput(i, INPUT);
        }
      }
      for (int i = 0; i < n.getOutputCount(); i++) {
        if (n.getOutput(i).equals(oldOutput)) {
          n.setOutput(i, OUTPUT);
        }
      }
      switch (original.getOpType()) {
        case "MaxPool" -> {
          NodeProto stripped = Attributes.without(n.build(), "ceil_mode", "pads");
          g.addNode(stripped.toBuilder().addAttribute(Attributes.of("pads", new long[] {0, 0, 1, 1})));
        }
        case "GlobalAveragePool" -> g.addNode(n.setOpType("AveragePool").clearAttribute()
            .addAttribute(Attributes.of("kernel_shape", new long[] {13, 13})));
        case "Flatten" -> {
          g.addInitializer(TensorProtos.longs("reshape_attr_tensor", new long[] {2}, new long[] {1, 1000}));
          g.addNode(n.setOpType("Reshape").clearAttribute().addInput("reshape_attr_tensor"));
        }
        case "Conv" -> {
          if (original == lastConv) {
            String dropped = "squeezenet0_dropout0_fwd";
            g.addNode(NodeProto.newBuilder().setOpType("Dropout").setName("squeezenet0_dropout0")
                .addInput(n.getInput(0)).addOutput(dropped).addAttribute(Attributes.of("ratio", 0.5f)));
            n.setInput(0, dropped);
          }
          g.addNode(n);
        }
        default -> g.addNode(n);
      }
    }
    g.addOutput(TestGraph.value(OUTPUT, 1, 1000));
    ModelProto zoo = src.toBuilder().setGraph(g).setIrVersion(4).clearOpsetImport()
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(9)).build();
    Files.write(target, zoo.toByteArray());
    return target;
  }
}

package org.netvis.bench;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.netvis.engine.graph.GradientGraph;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.model.ModelRegistry;

/**
 * How many layout reorders ONNX Runtime's optimizer puts into each model's gradient graph, with the
 * batch symbolic (as the engine loads it) and fixed at 8: its NCHWc transformer keeps an element-wise
 * op in the blocked layout only where it can prove the inputs' shapes equal, and reorders around it
 * otherwise. Usage: LayoutReorders MODEL... (ids, .onnx files, or saved gradient graphs: .vjp.onnx); -Dsave=DIR also writes each derived
 * graph there, for CompareGraphs.
 */
public final class LayoutReorders {
  public static void main(String[] args) throws Exception {
    for (String id : args) {
      byte[] graph = id.endsWith(".vjp.onnx") ? Files.readAllBytes(Path.of(id)) : derive(id);
      String name = Path.of(id).getFileName().toString().replace(".onnx", "");
      if (System.getProperty("save") != null) {
        Files.write(Path.of(System.getProperty("save"), name + ".vjp.onnx"), graph);
      }
      System.out.printf("%-28s symbolic batch %s; batch fixed at 8 %s%n", name, reorders(graph, name, false),
          reorders(graph, name, true));
    }
  }

  private static byte[] derive(String id) throws Exception {
    ModelGraph forward = ModelGraph.read(ModelRegistry.fromEnvironment(false).resolve(id).path());
    long size = forward.inputShape()[2] > 0 ? forward.inputShape()[2] : 224;
    return new GradientGraphBuilder().build(forward, size, size).proto().toByteArray();
  }

  private static Map<String, Integer> reorders(byte[] graph, String name, boolean fixedBatch) throws Exception {
    Path optimized = Files.createTempFile("netvis-optimized", ".onnx");
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      so.setOptimizedModelFilePath(optimized.toString());
      if (fixedBatch) {
        so.setSymbolicDimensionValue(GradientGraph.BATCH_DIMENSION, 8);
      }
      OrtEnvironment.getEnvironment().createSession(graph, so).close();
      Map<String, Integer> counts = new TreeMap<>();
      for (NodeProto node : ModelProto.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList()) {
        if (node.getOpType().startsWith("Reorder")) {
          counts.merge(node.getOpType(), 1, Integer::sum);
        }
      }
      return counts;
    } finally {
      if (System.getProperty("keep") != null) {
        Files.move(optimized, Path.of(System.getProperty("keep"), (fixedBatch ? "fixed-" : "symbolic-") + name),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      Files.deleteIfExists(optimized);
    }
  }
}

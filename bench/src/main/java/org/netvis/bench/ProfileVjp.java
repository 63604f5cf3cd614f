package org.netvis.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.netvis.engine.graph.GradientGraph;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.model.ResolvedModel;

/** Time per operator type in the gradient graph, from ONNX Runtime's own profiler. */
public final class ProfileVjp {
  public static void main(String[] args) throws Exception {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    ResolvedModel model = ModelRegistry.fromEnvironment(false).resolve("squeezenet1_1");
    GradientGraph g = new GradientGraphBuilder().build(ModelGraph.read(model.path()), 224, 224);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Path dir = Files.createTempDirectory("netvis-profile");
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.valueOf(System.getProperty("opt", "ALL_OPT")));
      so.enableProfiling(dir.resolve("vjp").toString());
      try (OrtSession s = env.createSession(g.proto().toByteArray(), so)) {
        float[] x = Gaussian.values(batch * 3 * 224 * 224, 0);
        float[] ct = Gaussian.values(batch * 1000, 1);
        for (int i = 0; i < 20; i++) {
          try (OnnxTensor a = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, 3, 224, 224});
              OnnxTensor b = OnnxTensor.createTensor(env, FloatBuffer.wrap(ct), new long[] {batch, 1000});
              OrtSession.Result res = s.run(Map.of(g.inputName(), a, VjpSpec.cotangentName(g.seeds().get(0)), b))) {
            res.size();
          }
        }
        String file = s.endProfiling();
        JsonNode events = new ObjectMapper().readTree(Path.of(file).toFile());
        Map<String, Double> byOp = new HashMap<>();
        Map<String, Double> byNode = new HashMap<>();
        double total = 0;
        for (JsonNode e : events) {
          if ("Node".equals(e.path("cat").asText()) && e.path("name").asText().endsWith("_kernel_time")) {
            String op = e.path("args").path("op_name").asText();
            double us = e.path("dur").asDouble();
            byOp.merge(op, us, Double::sum);
            byNode.merge(op + " " + e.path("name").asText().replace("_kernel_time", ""), us, Double::sum);
            total += us;
          }
        }
        Map<Double, String> sorted = new TreeMap<>(java.util.Comparator.reverseOrder());
        byOp.forEach((k, v) -> sorted.put(v, k));
        System.out.printf("batch %d, 20 runs, kernel time by op type (ms per run):%n", batch);
        for (Map.Entry<Double, String> e : sorted.entrySet()) {
          System.out.printf("  %-22s %8.2f  %5.1f%%%n", e.getValue(), e.getKey() / 20 / 1000, 100 * e.getKey() / total);
        }
        System.out.println("slowest nodes (ms per run):");
        byNode.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).limit(15)
            .forEach(e -> System.out.printf("  %8.2f  %s%n", e.getValue() / 20 / 1000, e.getKey()));
      }
    }
  }
}

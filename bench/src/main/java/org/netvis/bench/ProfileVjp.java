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

/**
 * Time per operator type in the gradient graph, from ONNX Runtime's own profiler, and the share of
 * kernel time spent outside parallel sections (a node's duration less the main thread's time in its
 * thread pool's parallel sections, from thread_scheduling_stats): what runs on one thread and cannot
 * scale across cores.
 * Usage: ProfileVjp [batch] [model id or .onnx file] (intra-op threads: -Dthreads, default all cores).
 */
public final class ProfileVjp {
  public static void main(String[] args) throws Exception {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    String id = args.length > 1 ? args[1] : "squeezenet1_1";
    ResolvedModel model = ModelRegistry.fromEnvironment(false).resolve(id);
    ModelGraph forward = ModelGraph.read(model.path());
    long size = forward.inputShape()[2] > 0 ? forward.inputShape()[2] : 224;
    GradientGraph g = new GradientGraphBuilder().build(forward, size, size);
    long classes = forward.classes() > 0 ? forward.classes() : 1000;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Path dir = Files.createTempDirectory("netvis-profile");
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.valueOf(System.getProperty("opt", "ALL_OPT")));
      so.enableProfiling(dir.resolve("vjp").toString());
      // As the engine runs its sessions (EngineOptions.spinning).
      so.addConfigEntry("session.intra_op.allow_spinning", System.getProperty("spinning", "0"));
      if (Integer.getInteger("threads", 0) > 0) {
        so.setIntraOpNumThreads(Integer.getInteger("threads"));
      }
      try (OrtSession s = env.createSession(g.proto().toByteArray(), so)) {
        float[] x = Gaussian.values((int) (batch * 3 * size * size), 0);
        float[] ct = Gaussian.values((int) (batch * classes), 1);
        for (int i = 0; i < 20; i++) {
          try (OnnxTensor a = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, 3, size, size});
              OnnxTensor b = OnnxTensor.createTensor(env, FloatBuffer.wrap(ct), new long[] {batch, classes});
              OrtSession.Result res = s.run(Map.of(g.inputName(), a, VjpSpec.cotangentName(g.seeds().get(0)), b))) {
            res.size();
          }
        }
        String file = s.endProfiling();
        System.out.println("profile: " + file);
        JsonNode events = new ObjectMapper().readTree(Path.of(file).toFile());
        Map<String, Double> byOp = new HashMap<>();
        Map<String, Double> byNode = new HashMap<>();
        Map<String, Double> singleByOp = new HashMap<>();
        double total = 0;
        double single = 0;
        for (JsonNode e : events) {
          if ("Node".equals(e.path("cat").asText()) && e.path("name").asText().endsWith("_kernel_time")) {
            String op = e.path("args").path("op_name").asText();
            double us = e.path("dur").asDouble();
            byOp.merge(op, us, Double::sum);
            byNode.merge(op + " " + e.path("name").asText().replace("_kernel_time", ""), us, Double::sum);
            total += us;
            // The profiler times the main thread inside parallel sections (Run, plus handing out and
            // waiting for work); what remains of the node's duration ran on that thread alone.
            JsonNode main = e.path("args").path("thread_scheduling_stats").path("main_thread");
            double parallel = main.path("Run").asDouble() + main.path("Distribution").asDouble()
                + main.path("DistributionEnqueue").asDouble() + main.path("Wait").asDouble()
                + main.path("WaitRevoke").asDouble();
            double serial = Math.max(0, us - parallel);
            single += serial;
            singleByOp.merge(op, serial, Double::sum);
          }
        }
        Map<Double, String> sorted = new TreeMap<>(java.util.Comparator.reverseOrder());
        byOp.forEach((k, v) -> sorted.put(v, k));
        System.out.printf("batch %d, 20 runs, kernel time by op type (ms per run):%n", batch);
        for (Map.Entry<Double, String> e : sorted.entrySet()) {
          System.out.printf("  %-22s %8.2f  %5.1f%%%n", e.getValue(), e.getKey() / 20 / 1000, 100 * e.getKey() / total);
        }
        System.out.printf("%s batch %d: %.1f%% of kernel time outside parallel sections (on one thread); by op (ms per run):%n",
            id, batch, 100 * single / total);
        double kernelTotal = total;
        singleByOp.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).limit(8)
            .forEach(e -> System.out.printf("  %-22s %8.2f  %5.1f%%%n", e.getKey(), e.getValue() / 20 / 1000,
                100 * e.getValue() / kernelTotal));
        System.out.println("slowest nodes (ms per run):");
        byNode.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).limit(15)
            .forEach(e -> System.out.printf("  %8.2f  %s%n", e.getValue() / 20 / 1000, e.getKey()));
      }
    }
  }
}

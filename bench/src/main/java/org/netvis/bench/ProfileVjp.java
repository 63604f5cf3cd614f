package org.netvis.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.graph.GradientGraph;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.model.ResolvedModel;

/**
 * Time per operator type in the gradient graph, from ONNX Runtime's own profiler, each also in units
 * of the forward pass's kernel time (profiled the same way), so that the table reads as the VJP /
 * forward ratio taken apart: how much of it the convolutions alone account for. Also the share of
 * kernel time spent outside parallel sections (a node's duration less the main thread's time in its
 * thread pool's parallel sections, from thread_scheduling_stats): what runs on one thread and cannot
 * scale across cores.
 * Usage: ProfileVjp [batch] [model id or .onnx file] (intra-op threads: -Dthreads, default one per physical core, as the engine;
 * how many of the slowest nodes to list: -Dnodes, default 15; a saved variant of the model's gradient
 * graph to profile in place of the one the builder derives, for A/B of builder changes: -Dgraph=FILE;
 * the gradient graph's batch fixed at the run's size, as the engine loads it with
 * NETVIS_FIXED_BATCH_SESSIONS=1: -DfixedBatch=true).
 */
public final class ProfileVjp {
  static final int WARMUP = 5;
  static final int RUNS = 20;

  /** Kernel time of one profiled session, per run. */
  record Profile(Map<String, Double> byOp, Map<String, Double> byNode, Map<String, Double> singleByOp,
      Map<String, Double> singleByNode, double total, double single, double run) {}

  public static void main(String[] args) throws Exception {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    String id = args.length > 1 ? args[1] : "squeezenet1_1";
    ResolvedModel model = ModelRegistry.fromEnvironment(false).resolve(id);
    ModelGraph forward = ModelGraph.read(model.path());
    long size = forward.inputShape()[2] > 0 ? forward.inputShape()[2] : 224;
    GradientGraph g = new GradientGraphBuilder().build(forward, size, size);
    long classes = forward.classes() > 0 ? forward.classes() : 1000;
    float[] x = Gaussian.values((int) (batch * 3 * size * size), 0);
    float[] ct = Gaussian.values((int) (batch * classes), 1);
    long[] imageShape = {batch, 3, size, size};

    Profile fwd = profile(forward.proto().toByteArray(), Map.of(forward.inputName(), x), imageShape, null, null);
    String variant = System.getProperty("graph");
    byte[] vjpGraph = variant != null ? Files.readAllBytes(Path.of(variant)) : g.proto().toByteArray();
    Profile vjp = profile(vjpGraph, Map.of(g.inputName(), x), imageShape,
        VjpSpec.cotangentName(g.seeds().get(0)), ct);

    System.out.printf("%s batch %d, %d runs: kernel time per run, forward %.2f ms, VJP %.2f ms (%.2fx)%n", id, batch,
        RUNS, fwd.total(), vjp.total(), vjp.total() / fwd.total());
    System.out.printf("whole runs (ONNX Runtime's model_run events): forward %.2f ms, VJP %.2f ms (%.2fx); "
        + "outside the kernels: forward %.2f ms, VJP %.2f ms%n", fwd.run(), vjp.run(), vjp.run() / fwd.run(),
        fwd.run() - fwd.total(), vjp.run() - vjp.total());
    System.out.println("forward kernel time by op type (ms per run):");
    sortedDescending(fwd.byOp()).stream().limit(6).forEach(e -> System.out.printf("  %-22s %8.2f  %5.1f%%%n",
        e.getKey(), e.getValue(), 100 * e.getValue() / fwd.total()));
    System.out.println("VJP kernel time by op type: ms per run, share, in forward passes (cumulative):");
    double cumulative = 0;
    for (Map.Entry<String, Double> e : sortedDescending(vjp.byOp())) {
      cumulative += e.getValue() / fwd.total();
      System.out.printf("  %-22s %8.2f  %5.1f%%  %5.2fx  (%5.2fx)%n", e.getKey(), e.getValue(),
          100 * e.getValue() / vjp.total(), e.getValue() / fwd.total(), cumulative);
    }
    System.out.printf("%s batch %d: %.1f%% of VJP kernel time outside parallel sections (on one thread; the forward"
        + " pass's own: %.1f%%); by op (ms per run):%n", id, batch, 100 * vjp.single() / vjp.total(),
        100 * fwd.single() / fwd.total());
    sortedDescending(vjp.singleByOp()).stream().limit(8).forEach(e -> System.out.printf("  %-22s %8.2f  %5.1f%%%n",
        e.getKey(), e.getValue(), 100 * e.getValue() / vjp.total()));
    System.out.println("VJP nodes with the most time on one thread (ms per run):");
    sortedDescending(vjp.singleByNode()).stream().limit(Integer.getInteger("nodes", 15))
        .forEach(e -> System.out.printf("  %8.2f  %s%n", e.getValue(), e.getKey()));
    System.out.println("slowest VJP nodes (ms per run):");
    sortedDescending(vjp.byNode()).stream().limit(Integer.getInteger("nodes", 15))
        .forEach(e -> System.out.printf("  %8.2f  %s%n", e.getValue(), e.getKey()));
  }

  private static List<Map.Entry<String, Double>> sortedDescending(Map<String, Double> values) {
    return values.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).toList();
  }

  /** Runs a session under ONNX Runtime's profiler, WARMUP runs and then the RUNS it counts. */
  private static Profile profile(byte[] graph, Map<String, float[]> images, long[] imageShape, String cotangentName,
      float[] cotangent) throws OrtException, IOException {
    OrtEnvironment env = org.netvis.engine.runtime.OrtEnvironments.get();
    Path dir = Files.createTempDirectory("netvis-profile");
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.valueOf(System.getProperty("opt", "ALL_OPT")));
      // As the engine runs its sessions (EngineOptions.spinning).
      so.addConfigEntry("session.intra_op.allow_spinning", System.getProperty("spinning", "0"));
      if (System.getProperty("disable") != null) {
        so.addConfigEntry("optimization.disable_specified_optimizers", System.getProperty("disable"));
      }
      // As the engine runs its sessions (memory patterns on); -DmemoryPattern=false to compare.
      so.setMemoryPatternOptimization(Boolean.parseBoolean(System.getProperty("memoryPattern", "true")));
      so.setIntraOpNumThreads(org.netvis.engine.runtime.EngineOptions.defaults()
          .withThreads(Integer.getInteger("threads", 0)).resolvedThreads());
      if (cotangentName != null && Boolean.getBoolean("fixedBatch")) {
        so.setSymbolicDimensionValue(org.netvis.engine.graph.GradientGraph.BATCH_DIMENSION, imageShape[0]);
      }
      so.enableProfiling(dir.resolve("session").toString());
      Map<String, OnnxTensor> in = inputs(env, images, imageShape, cotangentName, cotangent);
      try (OrtSession s = env.createSession(graph, so)) {
        for (int i = 0; i < WARMUP + RUNS; i++) {
          try (OrtSession.Result res = s.run(in)) {
            res.size();
          }
        }
        return parse(Path.of(s.endProfiling()));
      } finally {
        in.values().forEach(OnnxTensor::close);
      }
    }
  }

  /**
   * The inputs in direct buffers, made once and fed to every run, as the engine feeds its sessions
   * (OrtSessions keeps a direct buffer per input and thread). Tensors made from heap arrays on every
   * run copied each into 19 MB of fresh direct memory at batch 32, which only a garbage collection
   * gave back to malloc, and the heap's growing and trimming around it refaulted ONNX Runtime's own
   * per-run blocks (bench/README.md, forty-eighth session).
   */
  private static Map<String, OnnxTensor> inputs(OrtEnvironment env, Map<String, float[]> images, long[] imageShape,
      String cotangentName, float[] cotangent) throws OrtException {
    Map<String, OnnxTensor> in = new HashMap<>();
    for (Map.Entry<String, float[]> e : images.entrySet()) {
      in.put(e.getKey(), OnnxTensor.createTensor(env, direct(e.getValue()), imageShape));
    }
    if (cotangentName != null) {
      in.put(cotangentName, OnnxTensor.createTensor(env, direct(cotangent),
          new long[] {imageShape[0], cotangent.length / imageShape[0]}));
    }
    return in;
  }

  private static FloatBuffer direct(float[] values) {
    FloatBuffer b = java.nio.ByteBuffer.allocateDirect(values.length * Float.BYTES)
        .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
    b.put(values).flip();
    return b;
  }

  static Profile parse(Path file) throws IOException {
    Map<String, Double> byOp = new HashMap<>();
    Map<String, Double> byNode = new HashMap<>();
    Map<String, Double> singleByOp = new HashMap<>();
    Map<String, Double> singleByNode = new HashMap<>();
    double total = 0;
    double single = 0;
    JsonNode events = new ObjectMapper().readTree(file.toFile());
    // Runs are "model_run" events (start, duration); count the nodes that start after the warm-up runs.
    List<double[]> runs = new ArrayList<>();
    for (JsonNode e : events) {
      if ("model_run".equals(e.path("name").asText())) {
        runs.add(new double[] {e.path("ts").asDouble(), e.path("dur").asDouble()});
      }
    }
    runs.sort(Comparator.comparingDouble(r -> r[0]));
    if (runs.size() != WARMUP + RUNS) {
      throw new IOException(file + ": " + runs.size() + " model_run events, expected " + (WARMUP + RUNS));
    }
    double counted = runs.get(WARMUP)[0];
    double run = runs.stream().filter(r -> r[0] >= counted).mapToDouble(r -> r[1]).sum() / 1000 / RUNS;
    for (JsonNode e : events) {
      if ("Node".equals(e.path("cat").asText()) && e.path("name").asText().endsWith("_kernel_time")
          && e.path("ts").asDouble() >= counted) {
        String op = e.path("args").path("op_name").asText();
        double ms = e.path("dur").asDouble() / 1000 / RUNS;
        byOp.merge(op, ms, Double::sum);
        String node = op + " " + e.path("name").asText().replace("_kernel_time", "");
        byNode.merge(node, ms, Double::sum);
        total += ms;
        // The profiler times the main thread inside parallel sections (Run, plus handing out and
        // waiting for work); what remains of the node's duration ran on that thread alone.
        JsonNode main = e.path("args").path("thread_scheduling_stats").path("main_thread");
        double parallel = (main.path("Run").asDouble() + main.path("Distribution").asDouble()
            + main.path("DistributionEnqueue").asDouble() + main.path("Wait").asDouble()
            + main.path("WaitRevoke").asDouble()) / 1000 / RUNS;
        double serial = Math.max(0, ms - parallel);
        single += serial;
        singleByOp.merge(op, serial, Double::sum);
        singleByNode.merge(node, serial, Double::sum);
      }
    }
    return new Profile(byOp, byNode, singleByOp, singleByNode, total, single, run);
  }
}

package org.netvis.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.graph.GradientGraph;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.model.ResolvedModel;

/**
 * Times the gradient graph and the forward graph under different ONNX Runtime session settings,
 * alternating them round by round (the machine is shared and noisy).
 */
public final class SessionVariants {
  public static void main(String[] args) throws Exception {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 6;
    ResolvedModel model = ModelRegistry.fromEnvironment(false).resolve("squeezenet1_1");
    ModelGraph forward = ModelGraph.read(model.path());
    GradientGraph g = new GradientGraphBuilder().build(forward, 224, 224);
    OrtEnvironment env = org.netvis.engine.runtime.OrtEnvironments.get();
    Map<String, OrtSession> sessions = new LinkedHashMap<>();
    for (OrtSession.SessionOptions.OptLevel level : List.of(OrtSession.SessionOptions.OptLevel.ALL_OPT,
        OrtSession.SessionOptions.OptLevel.EXTENDED_OPT)) {
      OrtSession.SessionOptions so = SmallGraphs.engineLikeOptions();
      so.setOptimizationLevel(level);
      sessions.put("fwd " + level, env.createSession(java.nio.file.Files.readAllBytes(model.path()), so));
      sessions.put("vjp " + level, env.createSession(g.proto().toByteArray(), so));
    }
    float[] x = Gaussian.values(batch * 3 * 224 * 224, 0);
    float[] ct = Gaussian.values(batch * 1000, 1);
    Map<String, List<Double>> times = new LinkedHashMap<>();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    int rounds = 0;
    while (System.nanoTime() < end || rounds < 5) {
      for (Map.Entry<String, OrtSession> e : sessions.entrySet()) {
        boolean vjp = e.getKey().startsWith("vjp");
        try (OnnxTensor a = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, 3, 224, 224});
            OnnxTensor b = OnnxTensor.createTensor(env, FloatBuffer.wrap(ct), new long[] {batch, 1000})) {
          Map<String, OnnxTensor> in = vjp ? Map.of(g.inputName(), a, VjpSpec.cotangentName(g.seeds().get(0)), b)
              : Map.of(forward.inputName(), a);
          long t0 = System.nanoTime();
          try (OrtSession.Result res = e.getValue().run(in)) {
            res.size();
          }
          if (rounds > 1) {
            times.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6);
          }
        }
      }
      rounds++;
    }
    for (Map.Entry<String, List<Double>> e : times.entrySet()) {
      double[] s = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
      Arrays.sort(s);
      System.out.printf("batch %d %-22s median %8.2f ms  (%d runs)%n", batch, e.getKey(), s[s.length / 2], s.length);
    }
  }
}

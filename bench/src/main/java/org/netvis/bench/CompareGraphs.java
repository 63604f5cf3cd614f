package org.netvis.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A/B timing of saved gradient graphs (SqueezeNet-shaped: input, one cotangent): runs them in
 * turn, round after round, and prints each one's median. For comparing builder variants.
 * Usage: CompareGraphs BATCH SECONDS a.vjp.onnx b.vjp.onnx[@parallel] ...
 */
public final class CompareGraphs {
  public static void main(String[] args) throws Exception {
    int batch = Integer.parseInt(args[0]);
    double seconds = Double.parseDouble(args[1]);
    OrtEnvironment env = org.netvis.engine.runtime.OrtEnvironments.get();
    List<OrtSession> sessions = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      // FILE or FILE@parallel (parallel execution mode, two inter-op threads).
      String[] spec = args[i].split("@");
      OrtSession.SessionOptions so = new OrtSession.SessionOptions();
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      // As the engine runs its sessions (EngineOptions.spinning).
      so.addConfigEntry("session.intra_op.allow_spinning", System.getProperty("spinning", "0"));
      if (spec.length > 1 && spec[1].equals("parallel")) {
        so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.PARALLEL);
        so.setInterOpNumThreads(2);
      }
      sessions.add(env.createSession(Files.readAllBytes(Path.of(spec[0])), so));
    }
    float[] x = Gaussian.values(batch * 3 * 224 * 224, 0);
    float[] ct = Gaussian.values(batch * 1000, 1);
    Map<Integer, List<Double>> times = new HashMap<>();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    for (int round = 0; System.nanoTime() < end || round < 5; round++) {
      for (int s = 0; s < sessions.size(); s++) {
        OrtSession session = sessions.get(s);
        List<String> inputs = new ArrayList<>(session.getInputNames());
        try (OnnxTensor a = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, 3, 224, 224});
            OnnxTensor b = OnnxTensor.createTensor(env, FloatBuffer.wrap(ct), new long[] {batch, 1000})) {
          Map<String, OnnxTensor> in = new HashMap<>();
          for (String name : inputs) {
            in.put(name, name.startsWith("netvis/cotangent/") ? b : a);
          }
          long t0 = System.nanoTime();
          try (OrtSession.Result res = session.run(in)) {
            res.size();
          }
          if (round > 1) {
            times.computeIfAbsent(s, k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6);
          }
        }
      }
    }
    for (int s = 0; s < sessions.size(); s++) {
      double[] v = times.get(s).stream().mapToDouble(Double::doubleValue).toArray();
      Arrays.sort(v);
      System.out.printf("batch %d %-50s median %8.2f ms (%d runs)%n", batch, args[s + 2], v[v.length / 2], v.length);
    }
  }
}

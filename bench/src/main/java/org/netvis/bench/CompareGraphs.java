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
 * turn, round after round, and prints each one's median and whether its input gradient is the first
 * graph's, bit for bit. For comparing builder variants.
 * Usage: CompareGraphs BATCH SECONDS a.vjp.onnx b.vjp.onnx[@parallel|@nomempattern] ...
 */
public final class CompareGraphs {
  public static void main(String[] args) throws Exception {
    int batch = Integer.parseInt(args[0]);
    double seconds = Double.parseDouble(args[1]);
    OrtEnvironment env = org.netvis.engine.runtime.OrtEnvironments.get();
    List<OrtSession> sessions = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      // FILE, FILE@parallel (parallel execution mode, two inter-op threads) or FILE@nomempattern
      // (without ONNX Runtime's memory patterns, which the engine's sessions use).
      String[] spec = args[i].split("@");
      OrtSession.SessionOptions so = SmallGraphs.engineLikeOptions();
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      so.setMemoryPatternOptimization(!(spec.length > 1 && spec[1].equals("nomempattern")));
      if (spec.length > 1 && spec[1].equals("nocse")) {
        so.addConfigEntry("optimization.disable_specified_optimizers", "CommonSubexpressionElimination");
      }
      if (spec.length > 1 && spec[1].equals("parallel")) {
        so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.PARALLEL);
        so.setInterOpNumThreads(2);
      }
      sessions.add(env.createSession(Files.readAllBytes(Path.of(spec[0])), so));
    }
    float[] x = Gaussian.values(batch * 3 * 224 * 224, 0);
    float[] ct = Gaussian.values(batch * 1000, 1);
    Map<Integer, List<Double>> times = new HashMap<>();
    List<float[]> firstOutputs = new ArrayList<>();
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
            if (round == 0) {
              firstOutputs.add(gradient(res));
            }
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
      System.out.printf("batch %d %-50s median %8.2f ms (%d runs), input gradient %s%n", batch, args[s + 2],
          v[v.length / 2], v.length, s == 0 ? "(the reference)" : Arrays.equals(firstOutputs.get(0), firstOutputs.get(s))
              ? "identical to the first graph's" : "differs from the first graph's: relative L2 "
              + relativeL2(firstOutputs.get(s), firstOutputs.get(0)));
    }
  }

  private static String relativeL2(float[] a, float[] b) {
    if (a.length != b.length) {
      return "(other sizes)";
    }
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < a.length; i++) {
      diff += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
      norm += (double) b[i] * b[i];
    }
    return String.format("%.2e", Math.sqrt(diff / norm));
  }

  /** The input gradient: the first output of image size among the graph's outputs. */
  private static float[] gradient(OrtSession.Result res) throws Exception {
    for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : res) {
      if (e.getKey().startsWith("netvis/grad")) {
        FloatBuffer b = ((OnnxTensor) e.getValue()).getFloatBuffer();
        float[] v = new float[b.remaining()];
        b.get(v);
        return v;
      }
    }
    throw new IllegalStateException("no gradient output among " + res.size() + " outputs");
  }
}

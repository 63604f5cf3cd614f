package org.netvis.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.runtime.Device;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.tensor.Tensor;

/**
 * Forward and VJP time per image. Forward and VJP calls alternate within each round so that
 * machine noise hits both alike; the figures are medians over rounds. {@code --as-written} also
 * times ONNX Runtime running the model file as written (a plain session, its default optimizations),
 * in the same rounds: what netvis' reading of the file (fused operators written out, quantized ones
 * as their definition) costs the forward pass.
 */
public final class EngineBench {
  public static void main(String[] args) throws Exception {
    int threads = 0;
    double seconds = 4;
    String model = "squeezenet1_1";
    int[] batches = {1, 8};
    boolean json = false;
    boolean asWritten = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--model" -> model = args[++i];
        case "--batches" -> batches = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--json" -> json = true;
        case "--as-written" -> asWritten = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + " (expected --threads N, --seconds S, --model ID, --batches 1,8,32, --json, --as-written)");
      }
    }
    ResolvedModel resolved = ModelRegistry.fromEnvironment(false).resolve(model);
    java.io.PrintStream text = json ? System.err : System.out;
    StringBuilder jsonOut = new StringBuilder("{\"results\": {");
    text.printf("netvis engine bench: %s, %s, %d cores, %s threads, ONNX Runtime %s%n", resolved.id(),
        System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(),
        threads == 0 ? "default" : Integer.toString(threads),
        org.netvis.engine.runtime.OrtEnvironments.get().getVersion());
    OrtEnvironment env = org.netvis.engine.runtime.OrtEnvironments.get();
    EngineOptions engineOptions = EngineOptions.defaults().withDevice(Device.CPU).withThreads(threads);
    try (Engine engine = Engine.open(resolved, engineOptions);
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession file = asWritten ? fileSession(env, options, resolved, engineOptions) : null) {
      if (file != null && engine.graph().layout() != org.netvis.engine.graph.ImageLayout.NCHW) {
        throw new IllegalArgumentException("--as-written times NCHW models; " + resolved.id() + " is channels-last");
      }
      // Larger VJP batches run in parts of this many images (NETVIS_GRADIENT_BATCH; 0 = whole batch).
      text.printf("gradient batch: %s, fixed-batch sessions: %s%n", engine.gradientBatch() == 0 ? "whole batch"
          : engine.gradientBatch(), engine.fixedBatchSessions());
      text.printf("%-6s %14s %14s %14s %14s %10s%s%n", "batch", "forward ms", "fwd ms/img", "vjp ms", "vjp ms/img",
          "vjp/fwd", file == null ? "" : String.format(" %14s %12s", "as written ms", "fwd/written"));
      for (int batch : batches) {
        Random random = new Random(batch);
        Tensor x = Tensor.zeros(batch, engine.channels(), engine.inputHeight(), engine.inputWidth());
        for (int i = 0; i < x.size(); i++) {
          x.data()[i] = (float) random.nextGaussian();
        }
        Tensor ct = Tensor.zeros(batch, engine.scores(x).dim(1));
        for (int i = 0; i < ct.size(); i++) {
          ct.data()[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < 3; i++) {
          engine.scores(x);
          engine.vjp(x, ct);
        }
        List<Double> fwd = new ArrayList<>();
        List<Double> vjp = new ArrayList<>();
        List<Double> written = new ArrayList<>();
        OnnxTensor input = file == null ? null
            : OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(x.data()), x.shape());
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end || fwd.size() < 5) {
          long t0 = System.nanoTime();
          engine.scores(x);
          long t1 = System.nanoTime();
          engine.vjp(x, ct);
          long t2 = System.nanoTime();
          fwd.add((t1 - t0) / 1e6);
          vjp.add((t2 - t1) / 1e6);
          if (file != null) {
            file.run(java.util.Map.of(file.getInputNames().iterator().next(), input)).close();
            written.add((System.nanoTime() - t2) / 1e6);
          }
        }
        if (input != null) {
          input.close();
        }
        double f = median(fwd);
        double v = median(vjp);
        text.printf("%-6d %14.2f %14.2f %14.2f %14.2f %9.2fx%s%n", batch, f, f / batch, v, v / batch, v / f,
            file == null ? "" : String.format(" %14.2f %11.2fx", median(written), f / median(written)));
        jsonOut.append(jsonOut.charAt(jsonOut.length() - 1) == '{' ? "" : ", ").append('"').append(batch)
            .append("\": {\"forward_ms\": ").append(f).append(", \"vjp_ms\": ").append(v).append('}');
      }
    }
    if (json) {
      System.out.println(jsonOut.append("}}"));
    }
  }

  /**
   * The model file as written, on the CPU with ONNX Runtime's default optimizations and the engine's
   * threading (threads, and spinning, which a spinning session would also take from the runs after it),
   * so that only netvis' reading of the graph differs.
   */
  private static OrtSession fileSession(OrtEnvironment env, OrtSession.SessionOptions options, ResolvedModel model,
      EngineOptions engine) throws OrtException {
    options.setIntraOpNumThreads(engine.resolvedThreads());
    options.addConfigEntry("session.intra_op.allow_spinning", engine.spinning() ? "1" : "0");
    return env.createSession(model.path().toString(), options);
  }

  private static double median(List<Double> values) {
    double[] s = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}

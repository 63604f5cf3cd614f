package org.netvis.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.runtime.Device;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * What one {@code engine.vjp} call spends outside ONNX Runtime's run (filling its input buffers,
 * copying the outputs out, the engine's own bookkeeping), with fresh outputs and with the previous
 * call's result handed back for reuse, as an iterative technique calls it. Rounds of 20 calls of
 * each kind alternate; the figures are medians over rounds, in ms per call.
 *
 * <p>Usage: CallOverhead [MODEL] [BATCHES] [ROUNDS], default squeezenet1_1 1,2,5 8.
 */
public final class CallOverhead {
  private static final int CALLS = 20;

  public static void main(String[] args) throws Exception {
    String model = args.length > 0 ? args[0] : "squeezenet1_1";
    int[] batches = Arrays.stream((args.length > 1 ? args[1] : "1,2,5").split(",")).mapToInt(Integer::parseInt)
        .toArray();
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    ResolvedModel resolved = ModelRegistry.fromEnvironment(false).resolve(model);
    try (Engine engine = Engine.open(resolved, EngineOptions.defaults().withDevice(Device.CPU))) {
      System.out.printf("%s, %d cores; ms per call, medians of %d rounds of %d calls%n", resolved.id(),
          Runtime.getRuntime().availableProcessors(), rounds, CALLS);
      System.out.printf("%-6s %12s %14s %12s %14s%n", "batch", "fresh: call", "outside ORT", "reuse: call",
          "outside ORT");
      for (int n : batches) {
        long[] shape = {n, engine.channels(), engine.inputHeight(), engine.inputWidth()};
        Tensor x = new Tensor(shape, Gaussian.values(Math.toIntExact(Tensor.numel(shape)), 0));
        long[] targets = new long[n];
        Arrays.fill(targets, 6);
        Tensor cotangent = ClassScores.oneHot(targets, engine.classes());
        List<double[]> fresh = new ArrayList<>();
        List<double[]> reused = new ArrayList<>();
        for (int round = -1; round < rounds; round++) { // round -1 warms both paths up
          double[] a = time(engine, x, cotangent, false);
          double[] b = time(engine, x, cotangent, true);
          if (round >= 0) {
            fresh.add(a);
            reused.add(b);
          }
        }
        System.out.printf("%-6d %12.2f %14.3f %12.2f %14.3f%n", n, median(fresh, 0), median(fresh, 1),
            median(reused, 0), median(reused, 1));
      }
    }
  }

  /** Wall and outside-ONNX-Runtime ms per call over {@link #CALLS} calls. */
  private static double[] time(Engine engine, Tensor x, Tensor cotangent, boolean reuse) {
    long ort = engine.onnxRuntimeNanos();
    long start = System.nanoTime();
    VjpResult previous = null;
    for (int i = 0; i < CALLS; i++) {
      previous = engine.vjp(x, cotangent, reuse ? previous : null);
    }
    long wall = System.nanoTime() - start;
    long inside = engine.onnxRuntimeNanos() - ort;
    return new double[] {wall / 1e6 / CALLS, (wall - inside) / 1e6 / CALLS};
  }

  private static double median(List<double[]> rows, int column) {
    double[] s = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
    return s[s.length / 2];
  }
}

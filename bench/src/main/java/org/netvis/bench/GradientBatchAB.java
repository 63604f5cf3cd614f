package org.netvis.bench;

import java.util.Arrays;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.runtime.Device;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Tensor;

/**
 * One batch through the gradient graph whole and in parts (the engine's gradient batch), two engines
 * alternating round by round; prints min, lower quartile and median ms, and how far the two
 * gradients are apart. Usage: GradientBatchAB MODEL BATCH ROUNDS [PART] (PART 8 by default).
 */
public final class GradientBatchAB {
  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      throw new IllegalArgumentException("usage: GradientBatchAB MODEL BATCH ROUNDS [PART]");
    }
    ResolvedModel model = ModelRegistry.fromEnvironment(false).resolve(args[0]);
    int batch = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    int part = args.length > 3 ? Integer.parseInt(args[3]) : EngineOptions.CPU_GRADIENT_BATCH;
    EngineOptions cpu = EngineOptions.defaults().withDevice(Device.CPU);
    try (Engine whole = Engine.open(model, cpu.withGradientBatch(0));
        Engine parts = Engine.open(model, cpu.withGradientBatch(part))) {
      Tensor x = new Tensor(new long[] {batch, whole.channels(), whole.inputHeight(), whole.inputWidth()},
          Gaussian.values((int) (batch * whole.channels() * whole.inputHeight() * whole.inputWidth()), 0));
      Tensor cotangent = new Tensor(new long[] {batch, whole.classes()}, Gaussian.values((int) (batch * whole.classes()), 1));
      double[][] ms = new double[2][rounds];
      VjpResult a = null;
      VjpResult b = null;
      for (int r = -2; r < rounds; r++) { // two warm-up rounds
        long t0 = System.nanoTime();
        a = whole.vjp(x, cotangent);
        long t1 = System.nanoTime();
        b = parts.vjp(x, cotangent);
        long t2 = System.nanoTime();
        if (r >= 0) {
          ms[0][r] = (t1 - t0) / 1e6;
          ms[1][r] = (t2 - t1) / 1e6;
        }
      }
      String[] names = {"whole batch", "parts of " + part};
      for (int k = 0; k < 2; k++) {
        Arrays.sort(ms[k]);
        System.out.printf("%s, batch %d, %-12s min %8.1f p25 %8.1f median %8.1f ms (%d rounds)%n", model.id(), batch,
            names[k], ms[k][0], ms[k][rounds / 4], ms[k][rounds / 2], rounds);
      }
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < a.inputGradient().size(); i++) {
        double d = a.inputGradient().data()[i] - b.inputGradient().data()[i];
        diff += d * d;
        norm += (double) a.inputGradient().data()[i] * a.inputGradient().data()[i];
      }
      System.out.printf("input gradients apart by %.3g relative L2%n", Math.sqrt(diff / Math.max(norm, 1e-300)));
    }
  }
}

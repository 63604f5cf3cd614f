package org.netvis.engine.testing;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.runtime.Device;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Tensor;

/**
 * Compares a small model's derived input gradient with a full central-difference gradient, every
 * input element perturbed on its own (all perturbations run as one batch, not in the engine's parts:
 * some test graphs read the batch's first image for all, as exports traced at batch 1 do).
 */
public final class GradientCheck {
  private GradientCheck() {}

  public static Engine open(Path onnx, Path cache) throws Exception {
    return open(onnx, cache, o -> o);
  }

  /** The model on the CPU with one thread, and options changed by {@code adjust}. */
  public static Engine open(Path onnx, Path cache, java.util.function.UnaryOperator<EngineOptions> adjust)
      throws Exception {
    ResolvedModel m = new ResolvedModel(ModelDescriptor.forFile(onnx.getFileName().toString(),
        Preprocessing.IMAGENET), onnx, Sha256.of(onnx), List.of());
    return Engine.open(m, adjust.apply(EngineOptions.defaults().withDevice(Device.CPU).withThreads(1)
        .withCompanionCache(cache)));
  }

  /** Relative L2 error between the VJP gradient and central differences, for a batch of 2. */
  public static double relativeError(Path onnx, Path cache, long c, long h, long w, double step, long seed)
      throws Exception {
    Random random = new Random(seed);
    try (Engine engine = open(onnx, cache, o -> o.withGradientBatch(0))) {
      Tensor x = Tensor.zeros(2, c, h, w);
      for (int i = 0; i < x.size(); i++) {
        x.data()[i] = (float) random.nextGaussian();
      }
      Tensor logits = engine.scores(x);
      Tensor ct = Tensor.zeros(logits.shape());
      for (int i = 0; i < ct.size(); i++) {
        ct.data()[i] = (float) random.nextGaussian();
      }
      VjpResult vjp = engine.vjp(x, ct);
      int item = x.itemSize();
      int n = x.size();
      // Row 2k: x with element k raised by step; row 2k+1: lowered. Each row is one image.
      float[] rows = new float[2 * n * item];
      for (int k = 0; k < n; k++) {
        int image = k / item;
        for (int s = 0; s < 2; s++) {
          int row = 2 * k + s;
          System.arraycopy(x.data(), image * item, rows, row * item, item);
          rows[row * item + k % item] += (float) (s == 0 ? step : -step);
        }
      }
      Tensor out = engine.scores(new Tensor(new long[] {2L * n, c, h, w}, rows));
      int classes = (int) logits.dim(1);
      double diff = 0;
      double ref = 0;
      for (int k = 0; k < n; k++) {
        int image = k / item;
        double fPlus = 0;
        double fMinus = 0;
        for (int j = 0; j < classes; j++) {
          double weight = ct.data()[image * classes + j];
          fPlus += weight * out.data()[(2 * k) * classes + j];
          fMinus += weight * out.data()[(2 * k + 1) * classes + j];
        }
        double fd = (fPlus - fMinus) / (2 * step);
        double g = vjp.inputGradient().data()[k];
        diff += (fd - g) * (fd - g);
        ref += fd * fd;
      }
      return Math.sqrt(diff) / Math.max(Math.sqrt(ref), 1e-12);
    }
  }
}

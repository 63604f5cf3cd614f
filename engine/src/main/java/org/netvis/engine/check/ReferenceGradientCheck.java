package org.netvis.engine.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.netvis.engine.graph.ImageLayout;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.tensor.Tensor;

/**
 * Checks a model's derived gradient against reference gradients computed elsewhere (PyTorch autograd
 * in float64): a {@code .ref} directory with {@code input.npy}, {@code cotangent.npy} and
 * {@code grad_input.npy} = d sum(cotangent * logits) / d input, arrays in the model file's layout.
 * Unlike finite differences it works where float32 cannot resolve how the logits move.
 */
public final class ReferenceGradientCheck {
  /**
   * Per-image relative L2 errors, their lower median and maximum, against both thresholds. Where
   * the reference also gives PyTorch's own float32 error per image ({@code float32_error.npy}), each
   * threshold is raised to {@value #FLOAT32_FACTOR} times the same statistic of PyTorch's float32
   * errors: in deep random-weight networks float32 ReLU and max-pool ties move whole regions, for
   * PyTorch as for netvis, so netvis is held to float32 PyTorch's own accuracy there.
   */
  public record Report(Path directory, double[] errors, double[] float32Errors, double lowerMedian, double max,
      double medianTolerance, double maxTolerance) {
    public boolean passed() {
      double medianBound = medianTolerance;
      double maxBound = maxTolerance;
      if (float32Errors != null) {
        double[] f = float32Errors.clone();
        Arrays.sort(f);
        medianBound = Math.max(medianBound, FLOAT32_FACTOR * f[(f.length - 1) / 2]);
        maxBound = Math.max(maxBound, FLOAT32_FACTOR * f[f.length - 1]);
      }
      return lowerMedian <= medianBound && max <= maxBound;
    }
  }

  /** How far past PyTorch's own float32 error an image may be. */
  public static final double FLOAT32_FACTOR = 4;

  private ReferenceGradientCheck() {}

  /** The {@code NAME.ref} directory beside {@code NAME.onnx}, when there is one. */
  public static Path besideModel(Path model) {
    String stem = model.getFileName().toString().replaceFirst("\\.onnx$", "");
    Path dir = model.resolveSibling(stem + ".ref");
    return Files.isRegularFile(dir.resolve("grad_input.npy")) ? dir : null;
  }

  public static Report run(Engine engine, Path directory, double medianTolerance, double maxTolerance)
      throws IOException {
    ImageLayout layout = engine.graph().layout();
    Tensor input = layout.toNchw(Npy.readTensor(directory.resolve("input.npy")));
    Tensor cotangent = Npy.readTensor(directory.resolve("cotangent.npy"));
    NpyArray expected = Npy.read(directory.resolve("grad_input.npy"));
    VjpResult r = engine.vjp(input, cotangent);
    Tensor gradient = layout.fromNchw(r.inputGradient());
    if (!Arrays.equals(expected.shape(), gradient.shape())) {
      throw new IOException(directory.resolve("grad_input.npy") + ": shape " + Arrays.toString(expected.shape())
          + " does not match the gradient's " + Arrays.toString(gradient.shape()));
    }
    double[] ref = expected.asDoubles();
    float[] got = gradient.data();
    int items = (int) gradient.dim(0);
    int item = got.length / items;
    double[] errors = new double[items];
    for (int i = 0; i < items; i++) {
      double diff = 0;
      double norm = 0;
      for (int j = i * item; j < (i + 1) * item; j++) {
        double d = got[j] - ref[j];
        diff += d * d;
        norm += ref[j] * ref[j];
      }
      if (norm == 0) {
        throw new IOException(directory.resolve("grad_input.npy") + ": the reference gradient of image " + i
            + " is all zeros (the logits do not depend on the input); there is nothing to compare");
      }
      errors[i] = Math.sqrt(diff) / Math.sqrt(norm);
    }
    double[] sorted = errors.clone();
    Arrays.sort(sorted);
    Path float32 = directory.resolve("float32_error.npy");
    double[] float32Errors = Files.isRegularFile(float32) ? Npy.read(float32).asDoubles() : null;
    return new Report(directory, errors, float32Errors, sorted[(items - 1) / 2], sorted[items - 1], medianTolerance,
        maxTolerance);
  }
}

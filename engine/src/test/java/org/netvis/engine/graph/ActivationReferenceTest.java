package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.PythonReference;
import org.netvis.engine.testing.TestGraph;

/**
 * The activations of {@link ActivationGradients} against PyTorch's own backward
 * ({@code engine/src/test/python/activation_reference.py}, autograd in float32 and float64), at
 * random points and where finite differences cannot look: a kink's own point (x = 0, ThresholdedRelu's
 * alpha, Softplus's threshold 20) and one float to each side, signed zeros, subnormals, and inputs
 * whose exp overflows. Each element within 1e-5 of PyTorch's float32 gradient, relative to it or,
 * where the slope is small (it crosses zero between terms of 0.2: Gelu at -0.75), to a tenth of the
 * cotangent: a kink's point taken on the wrong side (PyTorch takes Elu's, Selu's and PRelu's
 * negative branch at 0) fails; and as close to float64 as PyTorch's float32 is, within a factor of two.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ActivationReferenceTest {
  @TempDir static Path dir;

  /** An ONNX operator over x with its attributes, and the PyTorch function of the same definition. */
  record Case(String id, String op, int opset, int channels, Object[] attributes, String function, String params,
      float[] extraValues) {
    @Override
    public String toString() {
      return id + " (" + op + ")";
    }
  }

  static List<Case> cases() {
    return List.of(
        new Case("elu", "Elu", 17, 1, new Object[] {"alpha", 0.7f}, "elu", "alpha=0.7", new float[0]),
        new Case("selu_default", "Selu", 17, 1, new Object[0], "selu", "", new float[0]),
        new Case("selu", "Selu", 17, 1, new Object[] {"alpha", 1.3f, "gamma", 0.9f}, "scaled_elu", "alpha=1.3 gamma=0.9",
            new float[0]),
        new Case("celu", "Celu", 17, 1, new Object[] {"alpha", 1.7f}, "celu", "alpha=1.7", new float[0]),
        new Case("prelu", "PRelu", 17, 3, new Object[0], "prelu", "slopes=0.25,-0.5,1.5", new float[0]),
        new Case("thresholded_relu", "ThresholdedRelu", 17, 1, new Object[] {"alpha", 0.3f}, "threshold", "alpha=0.3",
            new float[] {0.3f, Math.nextUp(0.3f), Math.nextDown(0.3f)}),
        new Case("softplus", "Softplus", 17, 1, new Object[0], "softplus", "",
            new float[] {20f, Math.nextUp(20f), Math.nextDown(20f), 88f, 89f}),
        new Case("softsign", "Softsign", 17, 1, new Object[0], "softsign", "", new float[0]),
        new Case("mish", "Mish", 18, 1, new Object[0], "mish", "", new float[] {20f, 88f, 89f}),
        new Case("gelu", "Gelu", 20, 1, new Object[0], "gelu", "approximate=none", new float[] {-0.7518f, -5f, -9f}),
        new Case("gelu_tanh", "Gelu", 20, 1, new Object[] {"approximate", "tanh"}, "gelu", "approximate=tanh",
            new float[] {-0.7518f, -5f, -9f}));
  }

  private final java.util.Map<String, float[]> netvis = new java.util.HashMap<>();

  @BeforeAll
  void netvisAndPyTorch() throws Exception {
    StringBuilder lines = new StringBuilder();
    for (Case c : cases()) {
      float[] row = values(c.extraValues());
      int n = row.length;
      float[] x = new float[c.channels() * n];
      for (int ch = 0; ch < c.channels(); ch++) {
        System.arraycopy(row, 0, x, ch * n, n);
      }
      float[] ct = new float[x.length];
      Random random = new Random(c.id().hashCode());
      for (int i = 0; i < ct.length; i++) {
        ct[i] = (float) (1 + random.nextDouble()) * (random.nextBoolean() ? 1 : -1);
      }
      TestGraph g = new TestGraph(c.opset(), 0, c.channels(), 1, n);
      List<String> inputs = new ArrayList<>(List.of("x"));
      if (c.op().equals("PRelu")) {
        inputs.add(g.floats(new float[] {0.25f, -0.5f, 1.5f}, 3, 1, 1));
      }
      Path model = g.save(dir, c.id(), g.op(c.op(), inputs, c.attributes()), x.length);
      long[] shape = {1, c.channels(), 1, n};
      try (Engine engine = GradientCheck.open(model, dir)) {
        netvis.put(c.id(), engine.vjp(new Tensor(shape, x), new Tensor(new long[] {1, x.length}, ct)).inputGradient()
            .data());
      }
      Npy.write(dir.resolve(c.id() + "_x.npy"), new Tensor(shape, x));
      Npy.write(dir.resolve(c.id() + "_ct.npy"), new Tensor(shape, ct));
      lines.append(c.id()).append(' ').append(c.function()).append(' ').append(c.params()).append('\n');
    }
    Files.writeString(dir.resolve("cases.txt"), lines);
    runPython("activation_reference.py", dir);
  }

  private static void runPython(String script, Path directory) throws Exception {
    PythonReference.run(PythonReference.script("engine", script), 10, directory.toString());
  }

  /** Kinks, signed zeros, subnormals, values whose exp overflows, then random values in [-6, 6]. */
  private static float[] values(float[] extra) {
    List<Float> v = new ArrayList<>(List.of(0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -1e-40f,
        Float.MIN_NORMAL, -Float.MIN_NORMAL, 0.5f, -0.5f, 1f, -1f, 3f, -3f, 10f, -10f, 30f, -30f, 100f, -100f));
    for (float f : extra) {
      v.add(f);
    }
    Random random = new Random(11);
    for (int i = 0; i < 200; i++) {
      v.add((float) (random.nextDouble() * 12 - 6));
    }
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.get(i);
    }
    return out;
  }

  /**
   * A small CNN with these activations (Mish and GELU as PyTorch 1.13 writes them, formulas of
   * Softplus, Tanh and Erf), a PixelShuffle (DepthToSpace in CRD order) and a GroupNorm, exported by
   * PyTorch: netvis' input gradient as close to PyTorch's float64 autograd as PyTorch's float32 is,
   * within a factor of two, on each of two images.
   */
  @org.junit.jupiter.api.Test
  void aNetworkExportedByPyTorch(@TempDir Path work) throws Exception {
    runPython("activation_network.py", work);
    Tensor x = Npy.readTensor(work.resolve("x.npy"));
    float[] grad;
    try (Engine engine = GradientCheck.open(work.resolve("network.onnx"), work)) {
      grad = engine.vjp(x, Npy.readTensor(work.resolve("ct.npy"))).inputGradient().data();
    }
    double[] torch64 = Npy.read(work.resolve("grad_f64.npy")).asDoubles();
    double[] torch32 = Npy.read(work.resolve("grad_f32.npy")).asDoubles();
    Compare.assertAsCloseToFloat64AsPyTorch("network of the activations", grad, torch32, torch64, 2, 1e-6);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientMatchesPyTorch(Case c) throws Exception {
    float[] actual = netvis.get(c.id());
    float[] x = Npy.readTensor(dir.resolve(c.id() + "_x.npy")).data();
    float[] ct = Npy.readTensor(dir.resolve(c.id() + "_ct.npy")).data();
    double[] torch32 = Npy.read(dir.resolve(c.id() + "_f32.npy")).asDoubles();
    double[] torch64 = Npy.read(dir.resolve(c.id() + "_f64.npy")).asDoubles();
    double worst = 0;
    for (int i = 0; i < actual.length; i++) {
      double tolerance = 1e-5 * Math.max(Math.abs(torch32[i]), 0.1 * Math.abs(ct[i])) + 1e-30;
      double difference = Math.abs(actual[i] - torch32[i]);
      worst = Math.max(worst, difference / (tolerance / 1e-5));
      assertTrue(difference <= tolerance, c + ": gradient at x = " + x[i] + " (" + Float.toHexString(x[i])
          + ") is " + actual[i] + ", PyTorch's float32 " + torch32[i] + " (float64 " + torch64[i] + ")");
    }
    System.out.printf("%-40s largest difference from PyTorch float32 %.1e (relative)%n", c, worst);
    Compare.assertAsCloseToFloat64AsPyTorch(c.toString(), actual, torch32, torch64, 1, 1e-7);
  }
}

package org.netvis.engine.graph;


import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.TestGraph;

/**
 * GridSample in small spatial transformers (the grid computed from the image by a 1x1 Conv, or by
 * AffineGrid from a matrix computed from it; some samples outside it) against PyTorch's grid_sample
 * and affine_grid autograd ({@code engine/src/test/python/grid_sample_reference.py}),
 * through both the image and the grid: per image, as close to float64 as PyTorch's float32 is, within
 * a factor of two. Nearest sampling is checked here, where finite differences would cross pixel
 * boundaries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GridSampleReferenceTest {
  @TempDir static Path dir;

  /** {@code affine}: the grid from AffineGrid (opset 20) of a matrix computed from the image, else from a 1x1 Conv. */
  record Case(String id, String mode, String padding, long alignCorners, boolean affine) {
    @Override
    public String toString() {
      return id + " (" + mode + ", " + padding + ", align_corners " + alignCorners + ")";
    }
  }

  static List<Case> cases() {
    return List.of(new Case("bilinear_zeros", "bilinear", "zeros", 0, false), new Case("bilinear_zeros_corners",
        "bilinear", "zeros", 1, false), new Case("bilinear_border_corners", "bilinear", "border", 1, false),
        new Case("nearest_zeros", "nearest", "zeros", 0, false), new Case("nearest_border", "nearest", "border", 0, false),
        new Case("affine_bilinear", "bilinear", "zeros", 0, true), new Case("affine_bilinear_corners", "bilinear",
            "border", 1, true));
  }

  private final Map<String, float[]> netvis = new HashMap<>();

  @BeforeAll
  void netvisAndPyTorch() throws Exception {
    StringBuilder lines = new StringBuilder();
    for (Case c : cases()) {
      Random random = new Random(c.id().hashCode());
      TestGraph g = new TestGraph(c.affine() ? 20 : 16, 0, 2, 5, 6);
      Tensor w;
      Tensor b;
      String grid;
      if (c.affine()) {
        // theta = mean over space of x (N, 2) @ w (2, 6) + b, as a 2x3 matrix near the identity.
        w = RandomTensors.gaussian(random, 0.3, 2, 6);
        b = new Tensor(new long[] {6}, new float[] {0.9f, 0.1f, 0.05f, -0.1f, 0.8f, 0f});
        String pooled = g.op("Flatten", List.of(g.op("GlobalAveragePool", List.of("x"))));
        String theta = g.op("Reshape", List.of(g.op("Gemm", List.of(pooled, g.floats(w.data(), 2, 6),
            g.floats(b.data(), 6))), g.ints(-1, 2, 3)));
        grid = g.op("AffineGrid", List.of(theta, g.op("Shape", List.of("x"))), "align_corners", c.alignCorners());
      } else {
        w = RandomTensors.gaussian(random, 0.8, 2, 2, 1, 1);
        b = RandomTensors.gaussian(random, 0.3, 2);
        String conv = g.op("Conv", List.of("x", g.floats(w.data(), 2, 2, 1, 1), g.floats(b.data(), 2)));
        grid = g.op("Mul", List.of(g.op("Tanh", List.of(g.op("Transpose", List.of(conv), "perm",
            new long[] {0, 2, 3, 1}))), g.floats(new float[] {1.2f})));
      }
      String mode = c.affine() && c.mode().equals("bilinear") ? "linear" : c.mode();
      Path model = g.save(dir, c.id(), g.op("GridSample", List.of("x", grid), "mode", mode, "padding_mode",
          c.padding(), "align_corners", c.alignCorners()));
      Tensor x = RandomTensors.gaussian(random, 1, 2, 2, 5, 6);
      Tensor ct = RandomTensors.gaussian(random, 1, 2, 60);
      try (Engine engine = GradientCheck.open(model, dir)) {
        netvis.put(c.id(), engine.vjp(x, ct).inputGradient().data());
      }
      Npy.write(dir.resolve(c.id() + "_x.npy"), x);
      Npy.write(dir.resolve(c.id() + "_ct.npy"), ct);
      Npy.write(dir.resolve(c.id() + "_w.npy"), w);
      Npy.write(dir.resolve(c.id() + "_b.npy"), b);
      lines.append(c.id()).append(" grid_sample mode=").append(c.mode()).append(" padding=").append(c.padding())
          .append(" align_corners=").append(c.alignCorners()).append(" grid=").append(c.affine() ? "affine" : "conv")
          .append('\n');
    }
    Files.writeString(dir.resolve("cases.txt"), lines);
    PythonReference.run(PythonReference.script("engine", "grid_sample_reference.py"), 10, dir.toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientIsAsCloseToFloat64AsPyTorchFloat32(Case c) throws Exception {
    Compare.assertAsCloseToFloat64AsPyTorch("GridSample " + c, netvis.get(c.id()),
        Npy.read(dir.resolve(c.id() + "_f32.npy")).asDoubles(), Npy.read(dir.resolve(c.id() + "_f64.npy")).asDoubles(),
        2, 1e-6);
  }
}

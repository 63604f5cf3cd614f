package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.TestGraph;
import org.netvis.engine.tensor.Tensor;

/**
 * Relu's and Clip's backward masks are exact where finite differences cannot look: at the bounds, one
 * float beside them, at subnormals, signed zeros and values that overflow when scaled. The gradient
 * must be the cotangent, bit for bit, where lo < x < hi (PyTorch's threshold_backward and
 * hardtanh_backward) and exactly 0 elsewhere.
 */
class ActivationMaskTest {
  @TempDir Path dir;

  /** A Clip with optional bounds (null: absent), or a Relu when both are null and {@code relu}. */
  record Bounds(String name, Float lo, Float hi, boolean relu) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Bounds> bounds() {
    return Stream.of(
        new Bounds("Relu", null, null, true),
        new Bounds("Clip [0, 6] (ReLU6)", 0f, 6f, false),
        new Bounds("Clip [-1.5, 2.25]", -1.5f, 2.25f, false),
        new Bounds("Clip [-3, 0]", -3f, 0f, false),
        new Bounds("Clip min -2.5 only", -2.5f, null, false),
        new Bounds("Clip max 1e-40 only (subnormal)", null, 1e-40f, false),
        new Bounds("Clip [-1e-40, 3e38]", -1e-40f, 3e38f, false),
        new Bounds("Clip [-3e38, 7]", -3e38f, 7f, false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bounds")
  void gradientPassesExactlyInsideTheBounds(Bounds b) throws Exception {
    float lo = b.relu() ? 0f : b.lo() == null ? Float.NEGATIVE_INFINITY : b.lo();
    float hi = b.relu() || b.hi() == null ? Float.POSITIVE_INFINITY : b.hi();
    List<Float> values = new ArrayList<>(List.of(0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -1e-40f,
        Float.MIN_NORMAL, 0.5f, -0.5f, 5.999999f, 6f, 6.000001f, 3e38f, -3e38f, Float.MAX_VALUE, -Float.MAX_VALUE));
    for (float bound : new float[] {lo, hi}) {
      if (Float.isFinite(bound)) {
        values.addAll(List.of(bound, Math.nextUp(bound), Math.nextDown(bound), bound + 1, bound - 1));
      }
    }
    int n = values.size();
    TestGraph g = new TestGraph(17, 0, 1, 1, n);
    String out;
    if (b.relu()) {
      out = g.op("Relu", List.of("x"));
    } else {
      String loInput = b.lo() == null ? "" : g.floats(new float[] {b.lo()});
      String hiInput = b.hi() == null ? "" : g.floats(new float[] {b.hi()});
      out = g.op("Clip", b.hi() == null ? List.of("x", loInput) : List.of("x", loInput, hiInput));
    }
    Path model = g.save(dir, "mask", out, n);
    float[] x = new float[n];
    float[] ct = new float[n];
    Random random = new Random(3);
    for (int i = 0; i < n; i++) {
      x[i] = values.get(i);
      ct[i] = (float) (1 + random.nextDouble()) * (random.nextBoolean() ? 1 : -1);
    }
    try (Engine engine = GradientCheck.open(model, dir)) {
      float[] grad = engine.vjp(new Tensor(new long[] {1, 1, 1, n}, x), new Tensor(new long[] {1, n}, ct))
          .inputGradient().data();
      for (int i = 0; i < n; i++) {
        float expected = lo < x[i] && x[i] < hi ? ct[i] : 0f;
        assertEquals(expected, grad[i], 0f, b + ": gradient at x = " + x[i] + " (" + Float.toHexString(x[i]) + ")");
      }
    }
  }

  /** HardSwish's gradient, PyTorch's three branches in float32: 0 below -3, x / 3 + 1/2 up to 3 (included), 1 above. */
  @org.junit.jupiter.api.Test
  void hardSwishGradientFollowsPyTorchsBranchesExactly() throws Exception {
    float[] x = {-3f, Math.nextUp(-3f), Math.nextDown(-3f), 3f, Math.nextUp(3f), Math.nextDown(3f), 0f, -0f,
        Float.MIN_VALUE, -Float.MIN_VALUE, 1.5f, -1.5f, 2.9999f, -2.9999f, 3e38f, -3e38f, Float.MAX_VALUE,
        -Float.MAX_VALUE, 7f, -7f, 0.1f};
    int n = x.length;
    TestGraph g = new TestGraph(17, 0, 1, 1, n);
    Path model = g.save(dir, "hardswish", g.op("HardSwish", List.of("x")), n);
    float[] ct = new float[n];
    Random random = new Random(5);
    for (int i = 0; i < n; i++) {
      ct[i] = (float) (1 + random.nextDouble()) * (random.nextBoolean() ? 1 : -1);
    }
    try (Engine engine = GradientCheck.open(model, dir)) {
      float[] grad = engine.vjp(new Tensor(new long[] {1, 1, 1, n}, x), new Tensor(new long[] {1, n}, ct))
          .inputGradient().data();
      for (int i = 0; i < n; i++) {
        float expected = x[i] < -3f ? 0f : x[i] <= 3f ? ct[i] * (x[i] / 3f + 0.5f) : ct[i];
        assertEquals(expected, grad[i], 0f, "HardSwish: gradient at x = " + x[i] + " (" + Float.toHexString(x[i]) + ")");
      }
    }
  }
  /**
   * A Concat of Relu outputs, each read only there (SqueezeNet's Fire modules), masks the joined
   * gradient once with a mask of the joined output, and its Relus pass their parts on unmasked: still
   * exactly the cotangent where x > 0 (and its negation where -x > 0), 0 at both zeros. A Relu output
   * read a second time keeps its own mask, and the Concat then masks nothing.
   */
  @org.junit.jupiter.api.Test
  void aConcatOfReluOutputsMasksTheJoinedGradientOnce() throws Exception {
    float[] x = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -1e-40f, Float.MIN_NORMAL, 0.5f, -0.5f, 3e38f,
        -3e38f, Float.MAX_VALUE, -Float.MAX_VALUE, 2f, -7f};
    int n = x.length;
    for (boolean readTwice : new boolean[] {false, true}) {
      TestGraph g = new TestGraph(17, 0, 1, 1, n);
      String positive = g.op("Relu", List.of("x"));
      String negative = g.op("Relu", List.of(g.op("Neg", List.of("x"))));
      String joined = g.op("Concat", List.of(positive, negative), "axis", 1L);
      String out = readTwice ? g.op("Add", List.of(joined, g.op("Concat", List.of(positive, positive), "axis", 1L)))
          : joined;
      Path model = g.save(dir, readTwice ? "concat_read_twice" : "concat_of_relus", out, 2 * n);
      List<String> masked = new GradientGraphBuilder().build(ModelGraph.read(model), 1, n).proto().getGraph()
          .getNodeList().stream().filter(node -> node.getOpType().equals("HardSigmoid")).map(node -> node.getInput(0))
          .toList();
      assertEquals(!readTwice, masked.contains(joined), "masks read " + masked);
      assertEquals(readTwice, masked.contains(positive) && masked.contains(negative), "masks read " + masked);
      float[] ct = new float[2 * n];
      Random random = new Random(7);
      for (int i = 0; i < ct.length; i++) {
        ct[i] = (float) (1 + random.nextDouble()) * (random.nextBoolean() ? 1 : -1);
      }
      try (Engine engine = GradientCheck.open(model, dir)) {
        float[] grad = engine.vjp(new Tensor(new long[] {1, 1, 1, n}, x), new Tensor(new long[] {1, 2 * n}, ct))
            .inputGradient().data();
        for (int i = 0; i < n; i++) {
          float once = x[i] > 0 ? ct[i] : -x[i] > 0 ? -ct[n + i] : 0f;
          float expected = readTwice && x[i] > 0 ? once + (ct[i] + ct[n + i]) : once;
          assertEquals(expected, grad[i], 0f, "read twice " + readTwice + ": gradient at x = " + x[i]);
        }
      }
    }
  }
}

package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.TestGraph;

/**
 * LRP's rules against their definitions: near epsilon 0 the relevance of a network of Relus and
 * linear layers is the input times the gradient (Ancona et al. 2018), and on a two-layer network the
 * epsilon, gamma, alpha1_beta0 and z^B rules give what their formulas give, computed here in doubles.
 */
class LrpGradientsTest {
  private static final int CLASSES = 5;

  @TempDir Path dir;

  private static Tensor gaussian(Random random, long... shape) {
    Tensor t = Tensor.zeros(shape);
    for (int k = 0; k < t.size(); k++) {
      t.data()[k] = (float) random.nextGaussian();
    }
    return t;
  }

  private static Tensor oneHot(int[] targets) {
    Tensor t = Tensor.zeros(targets.length, CLASSES);
    for (int i = 0; i < targets.length; i++) {
      t.data()[i * CLASSES + targets[i]] = 1f;
    }
    return t;
  }

  private static Tensor inputGradient(Engine engine, Tensor x, VjpSpec spec, int[] targets) {
    return engine.vjp(x, spec, Map.of(engine.graph().outputName(), oneHot(targets)))
        .get(VjpSpec.gradientName(engine.graph().inputName()));
  }

  /**
   * Conv with bias, BatchNormalization, Relu, an overlapping max pool, a residual block, an average
   * pool, a Mul by a constant, GlobalAveragePool, MatMul with its bias in an Add, Relu and Gemm.
   */
  private Path network() throws Exception {
    TestGraph g = new TestGraph(17, 5, 3, 12, 12);
    String conv = g.op("Conv", List.of("x", g.random(0.5, 6, 3, 3, 3), g.random(0.2, 6)), "pads",
        new long[] {1, 1, 1, 1});
    String norm = g.op("BatchNormalization", List.of(conv, g.random(1.0, 6), g.random(0.3, 6), g.random(0.3, 6),
        g.floats(new float[] {0.5f, 1.5f, 2f, 0.8f, 1.1f, 0.3f}, 6)));
    String pooled = g.op("MaxPool", List.of(g.op("Relu", List.of(norm))), "kernel_shape", new long[] {3, 3},
        "strides", new long[] {2, 2}, "ceil_mode", 1L);
    String branch = g.op("Conv", List.of(g.op("Relu", List.of(g.op("Conv", List.of(pooled, g.random(0.3, 6, 6, 3, 3),
        g.random(0.1, 6)), "pads", new long[] {1, 1, 1, 1}))), g.random(0.3, 6, 6, 3, 3)), "pads",
        new long[] {1, 1, 1, 1});
    String block = g.op("Relu", List.of(g.op("Add", List.of(branch, pooled))));
    String averaged = g.op("AveragePool", List.of(block), "kernel_shape", new long[] {2, 2}, "strides",
        new long[] {2, 2});
    String scaled = g.op("Mul", List.of(averaged, g.floats(new float[] {0.5f, 2f, -1f, 1.5f, 0.7f, 1.2f}, 1, 6, 1,
        1)));
    String flat = g.op("Flatten", List.of(g.op("GlobalAveragePool", List.of(scaled))));
    String hidden = g.op("Relu", List.of(g.op("Add", List.of(g.op("MatMul", List.of(flat, g.random(0.6, 6, 8))),
        g.random(0.2, 8)))));
    String logits = g.op("Gemm", List.of(hidden, g.random(0.6, CLASSES, 8), g.random(0.2, CLASSES)), "transB", 1L);
    return g.save(dir, "lrp_net", logits, CLASSES);
  }

  @Test
  void epsilonNearZeroGivesTheInputTimesTheGradient() throws Exception {
    Random random = new Random(4);
    Tensor x = gaussian(random, 4, 3, 12, 12);
    int[] targets = {0, 3, 1, 4};
    VjpSpec lrp = VjpSpec.DEFAULT.withLrp(LrpRules.of(LrpRules.Rule.epsilon(1e-9)));
    try (Engine engine = GradientCheck.open(network(), dir)) {
      Tensor relevance = inputGradient(engine, x, lrp, targets);
      Tensor gradient = inputGradient(engine, x, VjpSpec.DEFAULT, targets);
      Tensor scores = engine.scores(x);
      double diff = 0;
      double norm = 0;
      int item = x.itemSize();
      for (int k = 0; k < x.size(); k++) {
        // The graph starts from a relevance of 1 at the target; LRP's is the target's score.
        double score = scores.data()[k / item * CLASSES + targets[k / item]];
        double expected = (double) x.data()[k] * gradient.data()[k];
        diff += Math.pow(score * relevance.data()[k] - expected, 2);
        norm += expected * expected;
      }
      assertTrue(norm > 1e-6, "the gradient is not zero");
      assertTrue(Math.sqrt(diff / norm) < 1e-4, "relative L2 " + Math.sqrt(diff / norm));
    }
  }

  /** x [2, 3, 3] -> Conv 4x2x3x3 (a dense layer on 18 inputs) -> Relu -> Gemm to the classes. */
  private record TwoLayers(Path model, float[] w1, float[] b1, float[] w2, float[] b2) {}

  private TwoLayers twoLayers() throws Exception {
    Random random = new Random(8);
    float[] w1 = new float[4 * 18];
    float[] b1 = new float[4];
    float[] w2 = new float[CLASSES * 4];
    float[] b2 = new float[CLASSES];
    for (float[] a : List.of(w1, b1, w2, b2)) {
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) (random.nextGaussian() * 0.7);
      }
    }
    TestGraph g = new TestGraph(17, 1, 2, 3, 3);
    String hidden = g.op("Relu", List.of(g.op("Conv", List.of("x", g.floats(w1, 4, 2, 3, 3), g.floats(b1, 4)))));
    String logits = g.op("Gemm", List.of(g.op("Flatten", List.of(hidden)), g.floats(w2, CLASSES, 4), g.floats(b2,
        CLASSES)), "transB", 1L);
    return new TwoLayers(g.save(dir, "two_layers", logits, CLASSES), w1, b1, w2, b2);
  }

  private static double stabilized(double z, double epsilon) {
    return z + (z < 0 ? -epsilon : epsilon);
  }

  /** Bounds of the two input channels for the zb rule. */
  private static final double[] LOW = {-1.0, -0.5};
  private static final double[] HIGH = {1.0, 2.0};

  /** The relevance of x for target t with rule {@code first} on the Conv and {@code second} on the Gemm. */
  private static double[] expected(TwoLayers net, float[] x, int t, LrpRules.Rule first, LrpRules.Rule second) {
    double[] a1 = new double[4];
    double[] z1 = new double[4];
    for (int k = 0; k < 4; k++) {
      double z = net.b1()[k];
      for (int i = 0; i < 18; i++) {
        z += (double) net.w1()[k * 18 + i] * x[i];
      }
      z1[k] = z;
      a1[k] = Math.max(0, z);
    }
    double[] w2 = changed(net.w2(), second);
    double z2 = second.zeroBias() ? 0 : net.b2()[t];
    for (int k = 0; k < 4; k++) {
      z2 += w2[t * 4 + k] * a1[k];
    }
    double s2 = 1 / stabilized(z2, second.epsilon());
    double[] relevance1 = new double[4];
    for (int k = 0; k < 4; k++) {
      relevance1[k] = a1[k] * w2[t * 4 + k] * s2; // passed unchanged through the Relu
    }
    double[] w1 = changed(net.w1(), first);
    boolean zb = first.kind() == LrpRules.Kind.ZB;
    double[] out = new double[18];
    for (int k = 0; k < 4; k++) {
      double z = first.zeroBias() ? 0 : net.b1()[k];
      for (int i = 0; i < 18; i++) {
        double w = w1[k * 18 + i];
        // z^B: minus w+ l and w- h, the channel's (of 9 values each) bounds.
        z += w * x[i] - (zb ? Math.max(w, 0) * LOW[i / 9] + Math.min(w, 0) * HIGH[i / 9] : 0);
      }
      double s1 = relevance1[k] / stabilized(z, first.epsilon());
      for (int i = 0; i < 18; i++) {
        double w = w1[k * 18 + i];
        out[i] += (x[i] * w - (zb ? LOW[i / 9] * Math.max(w, 0) + HIGH[i / 9] * Math.min(w, 0) : 0)) * s1;
      }
    }
    return out;
  }

  private static double[] changed(float[] w, LrpRules.Rule rule) {
    double[] out = new double[w.length];
    for (int i = 0; i < w.length; i++) {
      out[i] = switch (rule.kind()) {
        case GAMMA -> w[i] + rule.gamma() * Math.max(w[i], 0);
        case ALPHA1_BETA0 -> Math.max(w[i], 0);
        default -> w[i];
      };
    }
    return out;
  }

  @Test
  void epsilonGammaAlphaBetaAndZbFollowTheirFormulas() throws Exception {
    TwoLayers net = twoLayers();
    Random random = new Random(12);
    Tensor x = gaussian(random, 3, 2, 3, 3);
    int[] targets = {0, 2, 4};
    List<List<LrpRules.Rule>> cases = List.of(
        List.of(LrpRules.Rule.epsilon(0.25), LrpRules.Rule.epsilon(0.5)),
        List.of(LrpRules.Rule.gamma(0.25, false), LrpRules.Rule.epsilon(1e-9)),
        List.of(LrpRules.Rule.parse("alpha1_beta0", true), LrpRules.Rule.parse("gamma 1.5", false)),
        List.of(LrpRules.Rule.parse("zb", false), LrpRules.Rule.epsilon(0.1)));
    try (Engine engine = GradientCheck.open(net.model(), dir)) {
      for (List<LrpRules.Rule> rules : cases) {
        // The Gemm by its node's name, the Conv by the fallback.
        LrpRules lrp = new LrpRules(rules.get(0), List.of(new LrpRules.LayerRule("^Gemm", rules.get(1))),
            new LrpRules.InputBounds(List.of(LOW[0], LOW[1]), List.of(HIGH[0], HIGH[1])));
        Tensor relevance = inputGradient(engine, x, VjpSpec.DEFAULT.withLrp(lrp), targets);
        for (int n = 0; n < 3; n++) {
          float[] image = java.util.Arrays.copyOfRange(x.data(), n * 18, (n + 1) * 18);
          double[] want = expected(net, image, targets[n], rules.get(0), rules.get(1));
          double scale = java.util.Arrays.stream(want).map(Math::abs).max().orElse(0);
          assertTrue(scale > 1e-3, rules + ", image " + n + ": relevance " + scale);
          for (int i = 0; i < 18; i++) {
            assertEquals(want[i], relevance.data()[n * 18 + i], 1e-5 * scale, rules + ", image " + n + ", input " + i);
          }
        }
      }
    }
  }

  @Test
  void nodesWithoutARuleAndRulesWithoutANodeAreRefusedByName() throws Exception {
    VjpSpec lrp = VjpSpec.DEFAULT.withLrp(LrpRules.of(LrpRules.Rule.epsilon(1e-9)));
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    String pooled = g.op("GlobalAveragePool", List.of(g.op("Conv", List.of("x", g.random(0.5, CLASSES, 2, 3, 3)))));
    Path softmax = g.save(dir, "softmax", g.op("Softmax", List.of(g.op("Flatten", List.of(pooled)))), CLASSES);
    GraphBuildException noRule = assertThrows(GraphBuildException.class,
        () -> new GradientGraphBuilder().build(ModelGraph.read(softmax), lrp, 4, 4, ""));
    assertTrue(noRule.getMessage().startsWith("Softmax node 'Softmax_node_"), noRule.getMessage());
    assertTrue(noRule.getMessage().contains("LRP has no rule for Softmax on the relevance path"), noRule.getMessage());

    TestGraph square = new TestGraph(17, 1, 2, 4, 4);
    String conv = square.op("Conv", List.of("x", square.random(0.5, CLASSES, 2, 3, 3)));
    Path product = square.save(dir, "square", square.op("GlobalAveragePool", List.of(square.op("Mul",
        List.of(conv, conv)))), CLASSES);
    GraphBuildException twoInputs = assertThrows(GraphBuildException.class,
        () -> new GradientGraphBuilder().build(ModelGraph.read(product), lrp, 4, 4, ""));
    assertTrue(twoInputs.getMessage().contains("LRP takes a Mul as a layer with constant weights"),
        twoInputs.getMessage());

    LrpRules typo = new LrpRules(LrpRules.Rule.epsilon(1e-9),
        List.of(new LrpRules.LayerRule("features\\.0", LrpRules.Rule.gamma(0.25, false))));
    GraphBuildException unused = assertThrows(GraphBuildException.class,
        () -> new GradientGraphBuilder().build(ModelGraph.read(product), VjpSpec.DEFAULT.withLrp(typo), 4, 4, ""));
    assertTrue(unused.getMessage().startsWith("LRP rule for layers 'features\\.0' matches no layer of the model; its"
        + " layers on the relevance path are [Conv_node_"), unused.getMessage());

    LrpRules identity = LrpRules.of(LrpRules.Rule.parse("identity", false));
    GraphBuildException shape = assertThrows(GraphBuildException.class,
        () -> new GradientGraphBuilder().build(ModelGraph.read(product), VjpSpec.DEFAULT.withLrp(identity), 4, 4, ""));
    assertTrue(shape.getMessage().contains("the identity rule passes relevance to one input of the output's shape"),
        shape.getMessage());

    IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
        () -> LrpRules.Rule.parse("gama 0.25", false));
    assertEquals("'gama 0.25' is not a rule (expected epsilon [E], gamma [G], alpha1_beta0, identity or zb)",
        text.getMessage());
    // z^B reads the input's bounds, and only at a first layer.
    assertThrows(IllegalArgumentException.class, () -> LrpRules.of(LrpRules.Rule.parse("zb", false)));
    LrpRules zbEverywhere = new LrpRules(LrpRules.Rule.parse("zb", false), List.of(),
        new LrpRules.InputBounds(List.of(0.0, 0.0), List.of(1.0, 1.0)));
    GraphBuildException notFirst = assertThrows(GraphBuildException.class,
        () -> new GradientGraphBuilder().build(ModelGraph.read(product), VjpSpec.DEFAULT.withLrp(zbEverywhere), 4, 4,
            ""));
    assertTrue(notFirst.getMessage().contains("the zb rule takes a Conv reading the model input of 2 channels"),
        notFirst.getMessage());
  }
}

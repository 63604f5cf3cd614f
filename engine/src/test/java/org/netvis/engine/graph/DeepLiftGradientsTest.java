package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.netvis.engine.runtime.EngineException;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.TestGraph;

/**
 * DeepLIFT's rescale rule against its definition: a lone nonlinearity's multiplier is the ratio of the
 * output's and the input's differences, and through convolutions, nonlinearities and overlapping max
 * pools the attributions add up to the score's difference (summation-to-delta).
 */
class DeepLiftGradientsTest {
  private static final VjpSpec DEEPLIFT = VjpSpec.DEFAULT.withBackward(VjpSpec.Backward.DEEPLIFT);
  private static final int CLASSES = 4;

  @TempDir Path dir;

  /** Rows 2i and 2i + 1 of the result: inputs[i] and references[i]. */
  private static Tensor pairs(Tensor inputs, Tensor references) {
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    float[] rows = new float[2 * n * item];
    for (int i = 0; i < n; i++) {
      System.arraycopy(inputs.data(), i * item, rows, 2 * i * item, item);
      System.arraycopy(references.data(), i * item, rows, (2 * i + 1) * item, item);
    }
    long[] shape = inputs.shape().clone();
    shape[0] = 2L * n;
    return new Tensor(shape, rows);
  }

  /** The input gradient of the pairs, both rows of pair i seeded at class {@code targets[i]}. */
  private static Tensor gradient(Engine engine, Tensor pairs, int[] targets) {
    Tensor cotangent = Tensor.zeros(pairs.dim(0), CLASSES);
    for (int r = 0; r < pairs.dim(0); r++) {
      cotangent.data()[r * CLASSES + targets[r / 2]] = 1f;
    }
    return engine.vjp(pairs, DEEPLIFT, Map.of(engine.graph().outputName(), cotangent))
        .get(VjpSpec.gradientName(engine.graph().inputName()));
  }

  private static Tensor gaussian(Random random, long... shape) {
    Tensor t = Tensor.zeros(shape);
    for (int k = 0; k < t.size(); k++) {
      t.data()[k] = (float) random.nextGaussian();
    }
    return t;
  }

  @Test
  void aLoneNonlinearityTakesTheRatioOfDifferences() throws Exception {
    for (String op : List.of("Relu", "Sigmoid", "Tanh")) {
      TestGraph g = new TestGraph(17, 1, CLASSES, 1, 1);
      Path model = g.save(dir, "lone_" + op, g.op(op, List.of("x")), CLASSES);
      Random random = new Random(3);
      Tensor x = gaussian(random, 3, CLASSES, 1, 1);
      Tensor b = gaussian(random, 3, CLASSES, 1, 1);
      b.data()[5] = x.data()[5]; // no difference: the plain derivative
      try (Engine engine = GradientCheck.open(model, dir)) {
        int[] targets = {0, 2, 3};
        Tensor grad = gradient(engine, pairs(x, b), targets);
        for (int i = 0; i < 3; i++) {
          for (int c = 0; c < CLASSES; c++) {
            double xv = x.data()[i * CLASSES + c];
            double bv = b.data()[i * CLASSES + c];
            double multiplier = xv == bv ? derivative(op, xv) : (f(op, xv) - f(op, bv)) / (xv - bv);
            double expected = c == targets[i] ? multiplier : 0;
            for (int row = 0; row < 2; row++) {
              assertEquals(expected, grad.data()[(2 * i + row) * CLASSES + c], 1e-5 * Math.max(1, Math.abs(expected)),
                  op + ", pair " + i + ", class " + c + ", row " + row);
            }
          }
        }
      }
    }
  }

  private static double f(String op, double v) {
    return switch (op) {
      case "Relu" -> Math.max(0, v);
      case "Sigmoid" -> 1 / (1 + Math.exp(-v));
      default -> Math.tanh(v);
    };
  }

  private static double derivative(String op, double v) {
    return switch (op) {
      case "Relu" -> v > 0 ? 1 : 0;
      case "Sigmoid" -> f(op, v) * (1 - f(op, v));
      default -> 1 - Math.tanh(v) * Math.tanh(v);
    };
  }

  /**
   * x -> Conv -> ACT -> MaxPool -> Conv -> Relu -> MaxPool -> GlobalAveragePool -> logits, with
   * overlapping windows (3x3/2, ceil_mode, a padded one), the second pool reading both rows' gradients.
   */
  private Path network(String act, long seed) throws Exception {
    TestGraph g = new TestGraph(17, seed, 3, 13, 13);
    String conv = g.op("Conv", List.of("x", g.random(0.5, 6, 3, 3, 3), g.random(0.1, 6)), "pads",
        new long[] {1, 1, 1, 1});
    Object[] overlapping = {"kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2}, "ceil_mode", 1L};
    String pooled = g.op("MaxPool", List.of(g.op(act, List.of(conv))), overlapping);
    String second = g.op("Conv", List.of(pooled, g.random(0.4, CLASSES, 6, 3, 3), g.random(0.1, CLASSES)), "pads",
        new long[] {1, 1, 1, 1});
    String again = g.op("MaxPool", List.of(g.op("Relu", List.of(second))), "kernel_shape", new long[] {3, 3},
        "strides", new long[] {1, 1}, "pads", new long[] {1, 1, 1, 1});
    return g.save(dir, "net_" + act, g.op("GlobalAveragePool", List.of(again)), CLASSES);
  }

  @Test
  void attributionsAddUpToTheScoreDifference() throws Exception {
    for (String act : List.of("Relu", "Sigmoid", "Tanh")) {
      Random random = new Random(11);
      try (Engine engine = GradientCheck.open(network(act, 7), dir)) {
        Tensor x = gaussian(random, 3, 3, 13, 13);
        Tensor b = gaussian(random, 3, 3, 13, 13);
        // Pair 1's reference equals its input in the left half: zero differences there.
        for (int c = 0; c < 3; c++) {
          for (int y = 0; y < 13; y++) {
            for (int col = 0; col < 6; col++) {
              int k = ((3 + c) * 13 + y) * 13 + col;
              b.data()[k] = x.data()[k];
            }
          }
        }
        Tensor zeros = Tensor.zeros(3, 3, 13, 13);
        int[] targets = {0, 1, 3};
        int moved = 0;
        for (Tensor reference : List.of(b, zeros)) {
          Tensor grad = gradient(engine, pairs(x, reference), targets);
          Tensor fx = engine.scores(x);
          Tensor fb = engine.scores(reference);
          int item = x.itemSize();
          for (int i = 0; i < 3; i++) {
            double sum = 0;
            for (int k = 0; k < item; k++) {
              sum += (double) (x.data()[i * item + k] - reference.data()[i * item + k]) * grad.data()[2 * i * item + k];
              assertEquals(grad.data()[2 * i * item + k], grad.data()[(2 * i + 1) * item + k],
                  "the pair's rows carry the same multipliers");
            }
            double delta = fx.data()[i * CLASSES + targets[i]] - fb.data()[i * CLASSES + targets[i]];
            assertEquals(delta, sum, 1e-5 * Math.max(1, Math.abs(delta)), act + ", pair " + i);
            moved += Math.abs(delta) > 1e-2 ? 1 : 0;
          }
        }
        assertTrue(moved >= 4, act + ": the scores of " + moved + " of 6 pairs differ");
      }
    }
  }

  @Test
  void pairsStayTogetherWhenTheEngineRunsParts() throws Exception {
    Path model = network("Relu", 9);
    Random random = new Random(2);
    Tensor x = gaussian(random, 5, 3, 13, 13);
    Tensor b = gaussian(random, 5, 3, 13, 13);
    int[] targets = {0, 1, 2, 3, 0};
    Tensor whole;
    try (Engine engine = GradientCheck.open(model, dir, o -> o.withGradientBatch(0))) {
      whole = gradient(engine, pairs(x, b), targets);
      EngineException odd = assertThrows(EngineException.class,
          () -> engine.vjp(x, DEEPLIFT, Map.of(engine.graph().outputName(), Tensor.zeros(5, CLASSES))));
      assertTrue(odd.getMessage().contains("takes an even batch, got 5"), odd.getMessage());
    }
    // Parts of 3 images would split pairs: the engine runs parts of 2.
    try (Engine engine = GradientCheck.open(model, dir, o -> o.withGradientBatch(3))) {
      Tensor parts = gradient(engine, pairs(x, b), targets);
      float max = 0;
      for (float v : whole.data()) {
        max = Math.max(max, Math.abs(v));
      }
      assertArrayEquals(whole.data(), parts.data(), 1e-6f * max);
    }
  }

  @Test
  void aNonlinearityWithoutABatchAxisFirstIsRefusedByName() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 3, 3);
    // The batch folded into the second axis: [1, N*18].
    String flat = g.op("Reshape", List.of("x", g.ints(1, -1)));
    String act = g.op("Relu", List.of(flat));
    Path model = g.save(dir, "folded", g.op("Reshape", List.of(act, g.ints(-1, 18))), 18);
    GraphBuildException e = assertThrows(GraphBuildException.class,
        () -> new GradientGraphBuilder().build(ModelGraph.read(model), DEEPLIFT, 3, 3, ""));
    assertTrue(e.getMessage().startsWith("Relu node 'Relu_node_3': DeepLIFT pairs each image with its reference along"
        + " the batch axis, and '" + flat + "' has shape [1, N]"), e.getMessage());
  }
}

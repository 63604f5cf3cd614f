package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.GraphBuildException;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.SharedData;
import org.netvis.engine.testing.TestGraph;

/**
 * The gradient graph that forms the cross-entropy's cotangent itself gives what a forward pass, the
 * cotangent softmax(logits) - q worked out here in double precision, and a VJP give.
 */
class CrossEntropyVjpTest {
  @TempDir Path dir;

  @Test
  void givesTheGradientOfTheSummedCrossEntropyInOneRun() throws Exception {
    Tensor images = GradientBatchTest.gaussian(new long[] {3, 3, 224, 224}, 3);
    try (Engine engine = GradientCheck.open(SharedData.squeezenet(), dir)) {
      int classes = (int) engine.classes();
      // Two one-hot rows (labels 5 and 999) and a soft distribution over classes 1, 2 and 3.
      Tensor targets = ClassScores.oneHot(new long[] {5, 999, 1}, classes);
      targets.data()[2 * classes + 1] = 0.5f;
      targets.data()[2 * classes + 2] = 0.25f;
      targets.data()[2 * classes + 3] = 0.25f;

      Tensor logits = engine.scores(images);
      Tensor cotangent = Tensor.zeros(3, classes);
      for (int i = 0; i < 3; i++) {
        double[] p = ClassScores.softmax(logits, i);
        for (int c = 0; c < classes; c++) {
          cotangent.data()[i * classes + c] = (float) (p[c] - targets.data()[i * classes + c]);
        }
      }
      VjpResult expected = engine.vjp(images, cotangent);
      VjpResult actual = engine.crossEntropyVjp(images, targets);

      assertTrue(Compare.maxRelative(actual.logits().data(), Compare.asDoubles(logits)) < 1e-5, "logits");
      double[] errors = Compare.relativeL2PerItem(actual.inputGradient().data(), Compare.asDoubles(expected.inputGradient()), 3);
      System.out.println("cross-entropy gradient against softmax - q and a VJP, relative L2 per image: "
          + java.util.Arrays.toString(errors));
      for (double e : errors) {
        assertTrue(e < 1e-5, "relative L2 " + e);
      }

      EngineException wrong = assertThrows(EngineException.class,
          () -> engine.crossEntropyVjp(images, Tensor.zeros(3, 10)));
      assertTrue(wrong.getMessage().contains("[3, " + classes + "]"), wrong.getMessage());
    }
  }

  /**
   * Cotangent entries under 2^-64 of the image's largest go into the gradient as zeros: here the
   * logits are 2x, so each pixel's gradient is 2 (p_c - q_c) itself, and p_3 = e^-60 (normal, but
   * under 2^-64 of the largest entry, -1) and p_4 (subnormal in float32) come out as zeros where a
   * graph without the flush gives 2 p_c.
   */
  @Test
  void cotangentEntriesUnder2ToTheMinus64OfTheLargestAreFlushed() throws Exception {
    TestGraph g = new TestGraph(17, 0, 3, 1, 2);
    Path model = g.save(dir, "doubled", g.op("Mul", List.of("x", g.floats(new float[] {2f}, 1))));
    float[] logits = {0f, -10f, -30f, -60f, -95f, -20f};
    Tensor images = new Tensor(new long[] {1, 3, 1, 2}, new float[] {0f, -5f, -15f, -30f, -47.5f, -10f});
    Tensor target = ClassScores.oneHot(new long[] {5}, 6);
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l);
    }
    try (Engine engine = GradientCheck.open(model, dir)) {
      float[] gradient = engine.crossEntropyVjp(images, target).inputGradient().data();
      for (int c = 0; c < 6; c++) {
        double expected = 2 * (Math.exp(logits[c]) / sum - target.data()[c]);
        if (c == 3 || c == 4) {
          assertEquals(0f, gradient[c], "class " + c + ": 2 p = " + expected + " flushed");
        } else {
          assertEquals(expected, gradient[c], 1e-6 * Math.abs(expected), "class " + c);
        }
      }
    }
  }

  @Test
  void aCrossEntropyTargetNeedsLogitsShapedBatchByClasses() throws Exception {
    ModelGraph g = ModelGraph.parse(Files.readAllBytes(SharedData.squeezenet()), "squeezenet", null);
    String relu = "/features/features.1/Relu_output_0";
    VjpSpec spec = new VjpSpec(List.of(relu), List.of(), List.of()).withCrossEntropyTargets();
    GraphBuildException e = assertThrows(GraphBuildException.class,
        () -> new GradientGraphBuilder().build(g, spec, 224, 224, ""));
    assertTrue(e.getMessage().contains(relu) && e.getMessage().contains("[N, classes]"), e.getMessage());
    assertEquals("netvis/target/logits", spec.seedInputName("logits"));
  }
}

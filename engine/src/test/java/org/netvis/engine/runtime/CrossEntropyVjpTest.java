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

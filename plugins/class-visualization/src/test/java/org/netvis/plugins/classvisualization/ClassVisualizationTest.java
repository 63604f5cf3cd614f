package org.netvis.plugins.classvisualization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.SharedData;

class ClassVisualizationTest {
  @TempDir Path dir;

  static ClassVisualizationParameters defaults(List<Integer> targets, int iterations) {
    return new ClassVisualizationParameters(targets, iterations, 25, 1e-3, 10, 0.5, 16, 25, 0);
  }

  @Test
  void defaultParametersReachTheirTargets() throws Exception {
    List<Integer> targets = List.of(76, 78, 187, 683, 366, 604);
    int confident = 0;
    try (Engine engine = GradientCheck.open(SharedData.squeezenet(), dir)) {
      for (long seed : new long[] {0, 1}) {
        float[][] images = ClassVisualization.visualize(engine, Preprocessing.IMAGENET, defaults(targets, 100), seed, 224,
            null, Progress.NONE);
        float[] all = new float[images.length * images[0].length];
        for (int t = 0; t < images.length; t++) {
          System.arraycopy(images[t], 0, all, t * images[t].length, images[t].length);
        }
        Tensor logits = engine.scores(new Tensor(new long[] {images.length, 3, 224, 224}, all));
        for (int t = 0; t < targets.size(); t++) {
          double p = ClassScores.softmax(logits, t)[targets.get(t)];
          System.out.printf("seed %d target %3d: top-1 %3d, probability %.4f%n", seed, targets.get(t),
              ClassScores.argmax(logits, t), p);
          assertEquals((int) targets.get(t), ClassScores.argmax(logits, t), "seed " + seed + " target " + targets.get(t));
          confident += p >= 0.9 ? 1 : 0;
        }
      }
    }
    assertTrue(confident >= 10, confident + " of 12 reach probability 0.9");
  }

  @Test
  void batchingDoesNotChangeTheResult() throws Exception {
    try (Engine engine = GradientCheck.open(SharedData.squeezenet(), dir)) {
      float[][] together = ClassVisualization.visualize(engine, Preprocessing.IMAGENET, defaults(List.of(76, 78), 3), 5,
          224, null, Progress.NONE);
      float[][] alone = ClassVisualization.visualize(engine, Preprocessing.IMAGENET, defaults(List.of(76), 3), 5, 224,
          null, Progress.NONE);
      float maxDiff = 0;
      for (int i = 0; i < alone[0].length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(alone[0][i] - together[0][i]));
      }
      // The same noise and jitter; only float32 batching differences in the convolution remain.
      assertTrue(maxDiff < 1e-3, "max difference " + maxDiff);
      float[][] again = ClassVisualization.visualize(engine, Preprocessing.IMAGENET, defaults(List.of(76, 78), 3), 5,
          224, null, Progress.NONE);
      assertArrayEquals(together[1], again[1], "same seed, same result");
    }
  }

  @Test
  void theLastIterationIsShownWithTheFinalImagesWhereShowEveryDoesNotDivideIt() throws Exception {
    // The step writes the final PNG from the last picture shown: the loop must show its last
    // iteration, with the images it returns.
    ClassVisualizationParameters p = new ClassVisualizationParameters(List.of(76), 3, 25, 1e-3, 10, 0.5, 16, 2, 0);
    List<Integer> shown = new java.util.ArrayList<>();
    float[][] last = new float[1][];
    try (Engine engine = GradientCheck.open(SharedData.squeezenet(), dir)) {
      float[][] images = ClassVisualization.visualize(engine, Preprocessing.IMAGENET, p, 5, 224, (iteration, current) -> {
        shown.add(iteration);
        last[0] = current[0].clone();
      }, Progress.NONE);
      assertEquals(List.of(2, 3), shown);
      assertArrayEquals(images[0], last[0]);
    }
  }
}

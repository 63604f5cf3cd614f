package org.netvis.plugins.saliency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.SharedData;

class SaliencyTest {
  @TempDir Path dir;

  @Test
  void saliencyOfTheReferenceInputsMatchesPyTorch() throws Exception {
    Tensor inputs = Npy.readTensor(SharedData.reference().resolve("inputs.npy"));
    long[] labels = Npy.read(SharedData.reference().resolve("labels.npy")).asLongs();
    try (Engine engine = GradientCheck.open(SharedData.squeezenet(), dir)) {
      // batch_size 3 splits the eight images into uneven batches on purpose.
      Tensor maps = Saliency.saliency(engine, inputs, labels,
          new SaliencyParameters(SaliencyParameters.Objective.CLASS_SCORE, 3), Progress.NONE);
      assertArrayEquals(new long[] {8, 224, 224}, maps.shape());
      double[] errs = Compare.relativeL2PerItem(maps.data(),
          Npy.read(SharedData.reference().resolve("saliency_true_class_score.npy")).asDoubles(), 8);
      System.out.printf("saliency vs PyTorch: per-image relative L2 median %.3g, max %.3g%n", Compare.median(errs),
          Compare.max(errs));
      assertTrue(Compare.median(errs) <= 1e-4, "median " + Compare.median(errs));
      assertTrue(Compare.max(errs) <= 1e-2, "max " + Compare.max(errs));
    }
  }

  /**
   * The cross-entropy gradient (one run of the cross-entropy graph) checked on a smooth model (Conv,
   * Sigmoid, pooling), where central differences are exact to rounding: ReLU/max-pool networks on
   * real images sit on kinks densely enough that finite differences disagree with any subgradient,
   * PyTorch's included.
   */
  @Test
  void crossEntropySaliencyIsTheGradientOfTheMeanLoss() throws Exception {
    org.netvis.engine.testing.TestGraph g = new org.netvis.engine.testing.TestGraph(17, 4, 3, 6, 6);
    String out = g.op("GlobalAveragePool", java.util.List.of(g.op("Sigmoid", java.util.List.of(
        g.op("Conv", java.util.List.of("x", g.random(1.0, 5, 3, 3, 3)), "pads", new long[] {1, 1, 1, 1})))));
    Path model = g.save(dir, "smooth", out, 5);
    java.util.Random random = new java.util.Random(3);
    Tensor inputs = Tensor.zeros(2, 3, 6, 6);
    for (int k = 0; k < inputs.size(); k++) {
      inputs.data()[k] = (float) random.nextGaussian();
    }
    long[] labels = {1, 3};
    try (Engine engine = GradientCheck.open(model, dir)) {
      Tensor grad = Saliency.gradient(engine, inputs, labels, SaliencyParameters.Objective.CROSS_ENTROPY, 2);
      // Central differences of the mean loss, element by element.
      double h = 1e-2;
      double diff = 0;
      double ref = 0;
      for (int k = 0; k < inputs.size(); k++) {
        float[] plus = inputs.data().clone();
        float[] minus = inputs.data().clone();
        plus[k] += (float) h;
        minus[k] -= (float) h;
        double fd = (meanLoss(engine.scores(new Tensor(inputs.shape(), plus)), labels)
            - meanLoss(engine.scores(new Tensor(inputs.shape(), minus)), labels)) / (2 * h);
        diff += (fd - grad.data()[k]) * (fd - grad.data()[k]);
        ref += fd * fd;
      }
      double err = Math.sqrt(diff / ref);
      System.out.printf("cross-entropy gradient vs finite differences: relative L2 %.2e%n", err);
      assertTrue(err < 1e-3, "relative error " + err);
      Tensor maps = Saliency.maxAbsOverChannels(grad);
      assertArrayEquals(new long[] {2, 6, 6}, maps.shape());
      assertEquals(Math.max(Math.max(Math.abs(grad.data()[0]), Math.abs(grad.data()[36])), Math.abs(grad.data()[72])),
          maps.data()[0], 0f);
    }
  }

  private static double meanLoss(Tensor logits, long[] labels) {
    double sum = 0;
    for (int i = 0; i < labels.length; i++) {
      sum -= Math.log(org.netvis.engine.tensor.ClassScores.softmax(logits, i)[(int) labels[i]]);
    }
    return sum / labels.length;
  }
}

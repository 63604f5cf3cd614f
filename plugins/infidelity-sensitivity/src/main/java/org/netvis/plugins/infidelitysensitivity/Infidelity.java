package org.netvis.plugins.infidelitysensitivity;

import java.util.stream.IntStream;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's {@code infidelity} (Yeh et al. 2019): the mean over perturbations I of
 * (I . attribution - (F(x) - F(x - I)))^2, F the target class's score; with {@code normalize}, the
 * attribution first scaled by the beta that minimizes it, sum(I . a * diff) / sum((I . a)^2). A map
 * with one channel (Grad-CAM's) is applied to every channel, as PyTorch broadcasts it.
 */
final class Infidelity {
  private Infidelity() {}

  static double[] of(Engine engine, Tensor inputs, Tensor attributions, long[] targets, Perturbations.Draws draws, int samples,
      boolean normalize, int batchSize) {
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    int mapItem = attributions.itemSize();
    if (attributions.dim(0) != n || (mapItem != item && mapItem * inputs.dim(1) != item)) {
      throw new IllegalArgumentException("attributions of shape " + java.util.Arrays.toString(attributions.shape())
          + " for inputs of shape " + java.util.Arrays.toString(inputs.shape()) + "; expected the inputs' shape or"
          + " one channel");
    }
    double[] atInput = TargetGradients.scores(engine, inputs, targets, batchSize);
    double[] dotSquares = new double[n];
    double[] dotTimesDiff = new double[n];
    double[] diffSquares = new double[n];
    double[] errorSquares = new double[n];
    float[] perturbation = new float[n * item];
    float[] perturbed = new float[n * item];
    double[] dots = new double[n];
    float[] x = inputs.data();
    float[] a = attributions.data();
    for (int s = 0; s < samples; s++) {
      IntStream.range(0, n).parallel().forEach(i -> {
        draws.next(i, perturbation, i * item, item);
        double dot = 0;
        for (int k = 0; k < item; k++) {
          float p = perturbation[i * item + k];
          perturbed[i * item + k] = x[i * item + k] - p;
          dot += (double) p * a[i * mapItem + k % mapItem];
        }
        dots[i] = dot;
      });
      double[] atPerturbed = TargetGradients.scores(engine, new Tensor(inputs.shape(), perturbed), targets, batchSize);
      for (int i = 0; i < n; i++) {
        double diff = atInput[i] - atPerturbed[i];
        dotSquares[i] += dots[i] * dots[i];
        dotTimesDiff[i] += dots[i] * diff;
        diffSquares[i] += diff * diff;
        errorSquares[i] += (dots[i] - diff) * (dots[i] - diff);
      }
    }
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      if (normalize) {
        // Captum's safe_div: a zero denominator reads as 1.
        double beta = dotTimesDiff[i] / (dotSquares[i] == 0 ? 1 : dotSquares[i]);
        out[i] = (beta * beta * dotSquares[i] - 2 * beta * dotTimesDiff[i] + diffSquares[i]) / samples;
      } else {
        out[i] = errorSquares[i] / samples;
      }
    }
    return out;
  }
}

package org.netvis.plugins.infidelitysensitivity;

import java.util.stream.IntStream;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's {@code sensitivity_max} (Yeh et al. 2019): the largest change of an explanation over
 * perturbations of the input, ||e(x + d) - e(x)||_F / ||e(x)||_F (a zero norm read as 1), with d
 * drawn uniformly from [-radius, radius) per value, Captum's default perturbation.
 */
final class SensitivityMax {
  private SensitivityMax() {}

  /**
   * @param explanation the method's attributions of the inputs themselves
   */
  static double[] of(Attribution method, Tensor inputs, long[] targets, Tensor explanation, Perturbations.Draws draws, int samples) {
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    int mapItem = explanation.itemSize();
    double[] norms = new double[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int k = i * mapItem; k < (i + 1) * mapItem; k++) {
        sum += (double) explanation.data()[k] * explanation.data()[k];
      }
      norms[i] = sum == 0 ? 1 : Math.sqrt(sum);
    }
    double[] max = new double[n];
    float[] x = inputs.data();
    for (int s = 0; s < samples; s++) {
      // The batch holds each image once, at its own position: a method that draws per image draws the
      // same numbers for the perturbed image as for the original, so only the perturbation differs.
      float[] perturbed = new float[n * item];
      IntStream.range(0, n).parallel().forEach(i -> {
        draws.next(i, perturbed, i * item, item);
        for (int k = i * item; k < (i + 1) * item; k++) {
          perturbed[k] += x[k];
        }
      });
      Tensor moved = method.attribute(new Tensor(inputs.shape(), perturbed), targets);
      for (int i = 0; i < n; i++) {
        double sum = 0;
        for (int k = i * mapItem; k < (i + 1) * mapItem; k++) {
          double d = (double) moved.data()[k] - explanation.data()[k];
          sum += d * d;
        }
        max[i] = Math.max(max[i], Math.sqrt(sum) / norms[i]);
      }
    }
    return max;
  }
}

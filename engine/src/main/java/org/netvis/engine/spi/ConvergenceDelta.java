package org.netvis.engine.spi;

import org.netvis.engine.tensor.Tensor;

/**
 * An attribution method with a completeness property (integrated gradients): per image,
 * sum(attributions) - (F(input) - F(baseline)) for the target class, Captum's convergence delta.
 */
public interface ConvergenceDelta {
  double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets);

  /** Per image, {@code sums[i] - (atInputs[i] - atBaselines[i])}: the delta from the scores at both ends. */
  static double[] of(double[] sums, double[] atInputs, double[] atBaselines) {
    double[] delta = new double[sums.length];
    for (int i = 0; i < delta.length; i++) {
      delta[i] = sums[i] - (atInputs[i] - atBaselines[i]);
    }
    return delta;
  }

  /** Each image's value at its input's end and at its baseline's (means over draws where there are several). */
  record Ends(double[] atInputs, double[] atBaselines) {}

  /** Per image, {@code sums[i] - (ends.atInputs[i] - ends.atBaselines[i])}. */
  static double[] of(double[] sums, Ends ends) {
    return of(sums, ends.atInputs(), ends.atBaselines());
  }
}

package org.netvis.engine.spi;

import org.netvis.engine.tensor.Tensor;

/**
 * An attribution method with a completeness property (integrated gradients): per image,
 * sum(attributions) - (F(input) - F(baseline)) for the target class, Captum's convergence delta.
 */
public interface ConvergenceDelta {
  double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets);
}

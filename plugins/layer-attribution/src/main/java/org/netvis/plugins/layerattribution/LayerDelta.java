package org.netvis.plugins.layerattribution;

import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's convergence delta of a layer method, sum(layer attributions) - (F(x) - F(baseline)) per
 * image. The step may return the attributions summed over channels and upsampled, or a token layer
 * without its class tokens, whose sums are not the layer's: the sums of the layer's own attributions
 * are kept for the tensor last returned.
 */
final class LayerDelta {
  private Tensor returned;
  private double[] layerSums;

  /** Records that {@code output} was returned for layer attributions {@code layer}; returns output. */
  synchronized Tensor remember(Tensor output, Tensor layer) {
    returned = output;
    layerSums = layer.itemSums();
    return output;
  }

  synchronized double[] delta(Engine engine, Tensor attributions, Tensor inputs, Tensor baselines, long[] targets,
      int batch) {
    double[] delta = attributions == returned ? layerSums.clone() : attributions.itemSums();
    double[] end = TargetGradients.scores(engine, inputs, targets, batch);
    double[] start = TargetGradients.scores(engine, baselines, targets, batch);
    for (int i = 0; i < delta.length; i++) {
      delta[i] -= end[i] - start[i];
    }
    return delta;
  }
}

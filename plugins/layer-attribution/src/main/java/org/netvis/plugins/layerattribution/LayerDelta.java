package org.netvis.plugins.layerattribution;

import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's convergence delta of a layer method, sum(layer attributions) - (F(x) - F(baseline)) per
 * image. The step may return the attributions summed over channels and upsampled, or a token layer
 * without its class tokens, whose sums are not the layer's: the sums of the layer's own attributions
 * are kept for the tensor last returned.
 */
final class LayerDelta {
  /** Each image's target score at the input's and at the baseline's end of its path. */
  interface Ends {
    ConvergenceDelta.Ends of(Tensor inputs, long[] targets);
  }

  private final Ends ends;
  private Tensor returned;
  private double[] layerSums;

  LayerDelta(Ends ends) {
    this.ends = ends;
  }

  /** The delta against one baseline per image, F computed in calls of at most {@code internalBatchSize}. */
  LayerDelta(AttributionContext ctx, Baseline baseline, int internalBatchSize) {
    this((inputs, targets) -> new ConvergenceDelta.Ends(TargetGradients.scores(ctx.engine(), inputs, targets,
        internalBatchSize), TargetGradients.scores(ctx.engine(), baseline.ofImages(inputs, ctx), targets, internalBatchSize)));
  }

  /** Records that {@code output} was returned for layer attributions {@code layer}; returns output. */
  synchronized Tensor remember(Tensor output, Tensor layer) {
    returned = output;
    layerSums = layer.itemSums();
    return output;
  }

  synchronized double[] delta(Tensor attributions, Tensor inputs, long[] targets) {
    double[] sums = attributions == returned ? layerSums : attributions.itemSums();
    return ConvergenceDelta.of(sums, ends.of(inputs, targets));
  }
}

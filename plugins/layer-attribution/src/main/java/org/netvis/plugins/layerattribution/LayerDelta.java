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
  private final AttributionContext ctx;
  private final Baseline baseline;
  private final int internalBatchSize;
  private Tensor returned;
  private double[] layerSums;

  LayerDelta(AttributionContext ctx, Baseline baseline, int internalBatchSize) {
    this.ctx = ctx;
    this.baseline = baseline;
    this.internalBatchSize = internalBatchSize;
  }

  /** Records that {@code output} was returned for layer attributions {@code layer}; returns output. */
  synchronized Tensor remember(Tensor output, Tensor layer) {
    returned = output;
    layerSums = layer.itemSums();
    return output;
  }

  synchronized double[] delta(Tensor attributions, Tensor inputs, long[] targets) {
    double[] sums = attributions == returned ? layerSums : attributions.itemSums();
    int batch = Math.max(1, Math.min(internalBatchSize, (int) inputs.dim(0)));
    return ConvergenceDelta.of(sums, TargetGradients.scores(ctx.engine(), inputs, targets, batch),
        TargetGradients.scores(ctx.engine(), baseline.ofImages(inputs, ctx), targets, batch));
  }
}

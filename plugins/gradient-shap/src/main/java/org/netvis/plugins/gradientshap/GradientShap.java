package org.netvis.plugins.gradientshap;

import org.netvis.engine.attribution.GradientShapDraws;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * GradientSHAP with Captum's semantics (its {@code GradientShap}: a noise tunnel over
 * {@code InputBaselineXGradient}): each of an image's draws ({@link GradientShapDraws}) contributes
 * grad F(b + a (x' - b)) * (x' - b), and the attribution is their mean.
 */
final class GradientShap implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final GradientShapProvider.Parameters p;
  private final GradientShapDraws draws;

  GradientShap(AttributionContext ctx, GradientShapProvider.Parameters p) {
    this.ctx = ctx;
    this.p = p;
    this.draws = new GradientShapDraws(ctx, p.baselines(), p.blurSigma(), p.nSamples(), p.stdevs());
  }

  /** The draws, for the tests. */
  GradientShapDraws draws() {
    return draws;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Tensor[] gradients = {null}; // the last chunk's, written over by the next one of its size
    return draws.inputAttributions(inputs, ctx.engine().gradientCallSize(p.internalBatchSize()), c -> {
      gradients[0] = TargetGradients.of(ctx.engine(), c.pointTensor(), c.targets(targets), c.count(), gradients[0]);
      return gradients[0].data();
    });
  }

  /** Captum's per-draw deltas sum(attribution of the draw) - (F(x') - F(b)), averaged over each image's draws. */
  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    int size = Math.max(1, Math.min(p.internalBatchSize(), (int) inputs.dim(0) * p.nSamples()));
    return ConvergenceDelta.of(attributions.itemSums(), draws.means(inputs, targets, size,
        (images, drawTargets) -> TargetGradients.scores(ctx.engine(), images, drawTargets, (int) images.dim(0))));
  }
}

package org.netvis.plugins.layerattribution;

import org.netvis.engine.attribution.GradientShapDraws;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's LayerGradientShap (a noise tunnel over LayerInputBaselineXGradient): each of an image's
 * draws ({@link GradientShapDraws}) contributes dF/dA at the point b + a (x' - b) times
 * A(x') - A(b), and the attribution is their mean. The convergence delta is GradientSHAP's, the sum
 * less the mean of F(x') - F(b) over the same draws.
 */
final class LayerGradientShap implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final LayerPass pass;
  private final LayerGradientShapParameters p;
  private final GradientShapDraws draws;
  private final LayerDelta delta;

  LayerGradientShap(AttributionContext ctx, LayerPass pass, LayerGradientShapParameters p) {
    this.ctx = ctx;
    this.pass = pass;
    this.p = p;
    this.draws = new GradientShapDraws(ctx, p.baselines(), p.blurSigma(), p.nSamples(), p.stdevs());
    this.delta = new LayerDelta((inputs, targets) -> draws.means(inputs, targets, pass.callSize(p.internalBatchSize()),
        (images, drawTargets) -> TargetGradients.scores(ctx.engine(), images, drawTargets, (int) images.dim(0))));
  }

  /** The draws, for the tests. */
  GradientShapDraws draws() {
    return draws;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    double[][] total = {null};
    long[][] shape = {null};
    LayerPass.Result[] last = {null}; // the last chunk's, written over by the next
    draws.inChunks(inputs, pass.callSize(p.internalBatchSize()), c -> {
      last[0] = pass.run(c.pointTensor(), c.targets(targets), last[0]);
      float[] g = last[0].gradients().data();
      Tensor atInputs = pass.activations(c.noisyInputs(), c.count());
      Tensor atBaselines = pass.activations(c.baselines(), c.count());
      if (total[0] == null) {
        total[0] = new double[n * atInputs.itemSize()];
        shape[0] = atInputs.shape().clone();
        shape[0][0] = n;
      }
      for (int k = 0; k < g.length; k++) {
        g[k] *= atInputs.data()[k] - atBaselines.data()[k];
      }
      c.addToImages(g, total[0]);
    });
    float[] out = new float[total[0].length];
    for (int k = 0; k < out.length; k++) {
      out[k] = (float) (total[0][k] / p.nSamples());
    }
    Tensor layer = new Tensor(shape[0], out);
    return delta.remember(pass.output(layer, inputs), layer);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return delta.delta(attributions, inputs, targets);
  }
}

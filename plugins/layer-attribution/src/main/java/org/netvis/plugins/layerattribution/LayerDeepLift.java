package org.netvis.plugins.layerattribution;

import java.util.List;
import org.netvis.engine.attribution.BaselineDistribution;
import org.netvis.engine.attribution.ReferencePairs;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's LayerDeepLift (Shrikumar et al. 2017, rescale rule): (A(x) - A(b)) times the image row's
 * DeepLIFT multipliers at the layer, each image run beside its reference with both rows seeded at the
 * target as in Captum's doubled batch; averaged over the image's references (one for layer DeepLIFT,
 * the distribution for LayerDeepLiftShap). The rule makes each reference's attributions add up to
 * F(x) - F(b) where every nonlinearity after the layer is a ReLU or a max pool; the convergence delta,
 * against the references' mean score, measures it.
 */
final class LayerDeepLift implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final LayerPass pass;
  private final ReferencePairs.References references;
  private final int internalBatchSize;
  private final LayerDelta delta;

  LayerDeepLift(AttributionContext ctx, LayerPass pass, ReferencePairs.References references, int internalBatchSize) {
    this.ctx = ctx;
    this.pass = pass;
    this.references = references;
    this.internalBatchSize = internalBatchSize;
    this.delta = new LayerDelta((inputs, targets) ->
        BaselineDistribution.scoreEnds(ctx.engine(), inputs, references.of(inputs), targets, internalBatchSize));
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    List<Tensor> refs = references.of(inputs);
    int n = (int) inputs.dim(0);
    double[] total = null;
    long[] shape = null;
    LayerPass.Result r = null; // the last call's, written over by the next
    for (ReferencePairs pairs : ReferencePairs.of(ctx.engine(), n, refs.size(), internalBatchSize)) {
      r = pass.runPaired(pairs.rows(inputs, refs), pairs.targets(targets), r);
      int item = r.activations().itemSize();
      if (total == null) {
        total = new double[n * item];
        shape = r.activations().shape().clone();
        shape[0] = n;
      }
      float[] a = r.activations().data();
      float[] g = r.gradients().data();
      // An image's pairs add in reference order.
      for (int q = 0; q < pairs.count(); q++) {
        int image = 2 * q * item;
        int reference = (2 * q + 1) * item;
        int dst = pairs.image(q) * item;
        for (int e = 0; e < item; e++) {
          total[dst + e] += (a[image + e] - a[reference + e]) * g[image + e];
        }
      }
    }
    float[] out = new float[total.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = (float) (total[k] / refs.size());
    }
    Tensor layer = new Tensor(shape, out);
    return delta.remember(pass.output(layer, inputs), layer);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return delta.delta(attributions, inputs, targets);
  }
}

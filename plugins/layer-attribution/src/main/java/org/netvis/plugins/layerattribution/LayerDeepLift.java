package org.netvis.plugins.layerattribution;

import java.util.List;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.ReferencePairs;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's LayerDeepLift (Shrikumar et al. 2017, rescale rule): (A(x) - A(b)) times the image row's
 * DeepLIFT multipliers at the layer, each image run beside its baseline with both rows seeded at the
 * target as in Captum's doubled batch. The rule makes the attributions add up to F(x) - F(b) where every
 * nonlinearity after the layer is a ReLU or a max pool; the convergence delta measures it.
 */
final class LayerDeepLift implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final LayerPass pass;
  private final LayerDeepLiftParameters p;
  private final Baseline baseline;
  private final LayerDelta delta;

  LayerDeepLift(AttributionContext ctx, LayerPass pass, LayerDeepLiftParameters p) {
    this.ctx = ctx;
    this.pass = pass;
    this.p = p;
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
    this.delta = new LayerDelta(ctx, baseline, p.internalBatchSize());
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Tensor b = baseline.ofImages(inputs, ctx);
    int n = (int) inputs.dim(0);
    float[] out = null;
    long[] shape = null;
    for (ReferencePairs pairs : ReferencePairs.of(ctx.engine(), n, 1, p.internalBatchSize())) {
      LayerPass.Result r = pass.runPaired(pairs.rows(inputs, List.of(b)), pairs.targets(targets));
      int item = r.activations().itemSize();
      if (out == null) {
        out = new float[n * item];
        shape = r.activations().shape().clone();
        shape[0] = n;
      }
      float[] a = r.activations().data();
      float[] g = r.gradients().data();
      for (int q = 0; q < pairs.count(); q++) {
        int image = 2 * q * item;
        int base = (2 * q + 1) * item;
        int dst = pairs.image(q) * item;
        for (int e = 0; e < item; e++) {
          out[dst + e] = (a[image + e] - a[base + e]) * g[image + e];
        }
      }
    }
    Tensor layer = new Tensor(shape, out);
    return delta.remember(pass.output(layer, inputs), layer);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return delta.delta(attributions, inputs, targets);
  }
}

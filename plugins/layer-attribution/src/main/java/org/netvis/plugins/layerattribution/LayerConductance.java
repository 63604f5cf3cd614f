package org.netvis.plugins.layerattribution;

import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.PathChunk;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's LayerConductance (Dhamdhere et al. 2018): along the path b + a_k (x - b) at the rule's
 * steps + 1 points, sum_k dF/dA(x_k) * (A(x_{k+1}) - A(x_k)), the chain rule's share of the change
 * in F that passes through each of the layer's units; the convergence delta is
 * sum - (F(x) - F(b)).
 */
final class LayerConductance implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final LayerPass pass;
  private final PathLayerParameters p;
  private final Baseline baseline;
  private final LayerDelta delta;

  LayerConductance(AttributionContext ctx, LayerPass pass, PathLayerParameters p) {
    this.ctx = ctx;
    this.pass = pass;
    this.p = p;
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
    this.delta = new LayerDelta(ctx, baseline, p.internalBatchSize());
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Tensor b = baseline.ofImages(inputs, ctx);
    // Captum takes n_steps + 1 points and the n differences between consecutive ones.
    double[] alphas = p.method().points(p.steps() + 1).alphas();
    int n = (int) inputs.dim(0);
    double[] total = null;
    long[] shape = null;
    float[] previousA = null;
    float[] previousG = null;
    float[] buffer = null; // the last chunk's points, refilled by the next chunk of its size
    LayerPass.Result r = null; // the last chunk's, written over likewise
    for (PathChunk c : PathChunk.of(n, alphas.length, pass.callSize(p.internalBatchSize()))) {
      Tensor points = c.interpolate(inputs, b, alphas, buffer);
      buffer = points.data();
      r = pass.run(points, c.targets(targets), r);
      int item = r.activations().itemSize();
      if (total == null) {
        total = new double[n * item];
        shape = r.activations().shape().clone();
        shape[0] = n;
        previousA = new float[item];
        previousG = new float[item];
      }
      float[] a = r.activations().data();
      float[] g = r.gradients().data();
      // Pairs come image by image and point by point, so the previous point is the image's own.
      for (int q = 0; q < c.count(); q++) {
        int dst = c.image(q) * item;
        if (c.point(q) > 0) {
          for (int e = 0; e < item; e++) {
            total[dst + e] += (double) previousG[e] * (a[q * item + e] - previousA[e]);
          }
        }
        System.arraycopy(a, q * item, previousA, 0, item);
        System.arraycopy(g, q * item, previousG, 0, item);
      }
    }
    Tensor layer = Tensor.rounded(shape, total);
    return delta.remember(pass.output(layer, inputs), layer);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return delta.delta(attributions, inputs, targets);
  }
}

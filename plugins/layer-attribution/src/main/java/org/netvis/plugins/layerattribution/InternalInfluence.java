package org.netvis.plugins.layerattribution;

import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.PathChunk;
import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's InternalInfluence (Leino et al. 2018): the target score's gradient at the layer,
 * integrated along the straight path from the baseline to the input, sum_k w_k dF/dA(b + a_k (x - b)).
 */
final class InternalInfluence implements Attribution {
  private final AttributionContext ctx;
  private final LayerPass pass;
  private final PathLayerParameters p;
  private final Baseline baseline;

  InternalInfluence(AttributionContext ctx, LayerPass pass, PathLayerParameters p) {
    this.ctx = ctx;
    this.pass = pass;
    this.p = p;
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Tensor b = baseline.ofImages(inputs, ctx);
    PathRule.Points rule = p.method().points(p.steps());
    int n = (int) inputs.dim(0);
    double[] total = null;
    long[] shape = null;
    float[] buffer = null; // the last chunk's points, refilled by the next chunk of its size
    LayerPass.Result r = null; // the last chunk's, written over likewise
    for (PathChunk c : PathChunk.of(n, rule.count(), pass.callSize(p.internalBatchSize()))) {
      Tensor points = c.interpolate(inputs, b, rule.alphas(), buffer);
      buffer = points.data();
      r = pass.run(points, c.targets(targets), r);
      Tensor g = r.gradients();
      if (total == null) {
        total = new double[n * g.itemSize()];
        shape = g.shape().clone();
        shape[0] = n;
      }
      c.accumulate(total, g, rule.weights());
    }
    return pass.output(Tensor.rounded(shape, total), inputs);
  }
}

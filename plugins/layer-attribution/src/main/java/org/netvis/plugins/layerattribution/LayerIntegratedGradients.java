package org.netvis.plugins.layerattribution;

import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.PathChunk;
import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's LayerIntegratedGradients: integrated gradients in the layer's space,
 * (A(x) - A(b)) * sum_k w_k dF/dA at A = A(b) + a_k (A(x) - A(b)), the layer's output set to each
 * point while every other path of the model reads the image x (as Captum's forward hook replaces the
 * layer's output and runs the model on the inputs); the convergence delta is sum - (F(x) - F(b)).
 */
final class LayerIntegratedGradients implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final LayerPass pass;
  private final PathLayerParameters p;
  private final Baseline baseline;
  private final LayerDelta delta;

  LayerIntegratedGradients(AttributionContext ctx, LayerPass pass, PathLayerParameters p) {
    this.ctx = ctx;
    this.pass = pass;
    this.p = p;
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
    this.delta = new LayerDelta(ctx, baseline, p.internalBatchSize());
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Tensor b = baseline.ofImages(inputs, ctx);
    PathRule.Points rule = p.method().points(p.steps());
    int n = (int) inputs.dim(0);
    int chunk = pass.callSize(p.internalBatchSize());
    Tensor ax = pass.activations(inputs, chunk);
    Tensor ab = pass.activations(b, chunk);
    int item = ax.itemSize();
    double[] total = new double[n * item];
    // The last chunk's arrays, written over by the next chunk of its size.
    float[] images = null;
    float[] shift = null;
    Tensor g = null;
    for (PathChunk c : PathChunk.of(n, rule.count(), chunk)) {
      Tensor repeated = c.repeat(inputs, images);
      images = repeated.data();
      if (shift == null || shift.length != c.count() * item) {
        shift = new float[c.count() * item];
      }
      // The layer set to A(b) + a (A(x) - A(b)), rounded to float, as a shift from A(x).
      for (int q = 0; q < c.count(); q++) {
        double a = rule.alphas()[c.point(q)];
        int src = c.image(q) * item;
        for (int e = 0; e < item; e++) {
          float x = ax.data()[src + e];
          double start = ab.data()[src + e];
          shift[q * item + e] = (float) (start + a * (x - start)) - x;
        }
      }
      long[] shape = ax.shape().clone();
      shape[0] = c.count();
      g = pass.gradientAt(repeated, c.targets(targets), new Tensor(shape, shift), g);
      c.accumulate(total, g, rule.weights());
    }
    float[] out = new float[n * item];
    for (int k = 0; k < out.length; k++) {
      out[k] = (float) ((ax.data()[k] - ab.data()[k]) * total[k]);
    }
    Tensor layer = new Tensor(ax.shape(), out);
    return delta.remember(pass.output(layer, inputs), layer);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return delta.delta(attributions, inputs, targets);
  }
}

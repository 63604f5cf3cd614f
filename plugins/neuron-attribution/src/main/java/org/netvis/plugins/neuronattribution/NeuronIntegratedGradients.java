package org.netvis.plugins.neuronattribution;

import java.util.List;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.attribution.PathChunk;
import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Integrated gradients of one unit's value (Captum's NeuronIntegratedGradients):
 * (x - b) * sum_k w_k d unit / dx (b + a_k (x - b)); the convergence delta is
 * sum - (unit(x) - unit(b)), as integrated gradients' is for a class score.
 */
final class NeuronIntegratedGradients implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final Neuron neuron;
  private final NeuronPathParameters p;
  private final Baseline baseline;
  private final VjpSpec spec;

  NeuronIntegratedGradients(AttributionContext ctx, Neuron neuron, NeuronPathParameters p) {
    this.ctx = ctx;
    this.neuron = neuron;
    this.p = p;
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
    this.spec = new VjpSpec(List.of(neuron.layer()), List.of(), List.of());
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Tensor b = baseline.ofImages(inputs, ctx);
    PathRule.Points rule = p.method().points(p.steps());
    int n = (int) inputs.dim(0);
    double[] total = new double[n * inputs.itemSize()];
    UnitGradients gradients = new UnitGradients(ctx.engine(), spec, neuron);
    float[] buffer = null; // the last chunk's points, refilled by the next chunk of its size
    for (PathChunk c : PathChunk.of(n, rule.count(), ctx.engine().gradientCallSize(p.internalBatchSize()))) {
      Tensor points = c.interpolate(inputs, b, rule.alphas(), buffer);
      buffer = points.data();
      c.accumulate(total, gradients.of(points), rule.weights());
    }
    float[] out = new float[total.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = (float) ((inputs.data()[k] - b.data()[k]) * total[k]);
    }
    return new Tensor(inputs.shape(), out);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return ConvergenceDelta.of(attributions.itemSums(), neuron.valuesAt(ctx.engine(), inputs),
        neuron.valuesAt(ctx.engine(), baseline.ofImages(inputs, ctx)));
  }
}

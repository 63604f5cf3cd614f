package org.netvis.plugins.neuronattribution;

import java.util.List;
import java.util.Map;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.attribution.PathChunk;
import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's NeuronConductance (Dhamdhere et al. 2018): the share of the target score's change along the
 * straight path from the baseline that flows through one unit, per input feature,
 * (x - b) * sum_k w_k dF/d unit (x_k) * d unit / dx (x_k) with x_k = b + a_k (x - b). Summed over the
 * input it tends to the unit's layer conductance as the steps grow. Two gradient runs per path point:
 * the target score's gradient at the unit's tensor, and the unit's gradient at the input.
 */
final class NeuronConductance implements Attribution {
  private final AttributionContext ctx;
  private final Neuron neuron;
  private final NeuronConductanceParameters p;
  private final Baseline baseline;
  private final VjpSpec scoreAtLayer;
  private final VjpSpec unitAtInput;

  NeuronConductance(AttributionContext ctx, Neuron neuron, NeuronConductanceParameters p) {
    this.ctx = ctx;
    this.neuron = neuron;
    this.p = p;
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
    this.scoreAtLayer = new VjpSpec(List.of(), List.of(), List.of(neuron.layer()));
    this.unitAtInput = new VjpSpec(List.of(neuron.layer()), List.of(), List.of());
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Tensor b = baseline.ofImages(inputs, ctx);
    PathRule.Points rule = p.method().points(p.steps());
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    double[] total = new double[n * item];
    var engine = ctx.engine();
    UnitGradients gradients = new UnitGradients(engine, unitAtInput, neuron);
    // The last chunk's arrays, written over by the next chunk of its size.
    float[] buffer = null;
    Map<String, Tensor> atLayer = Map.of();
    for (PathChunk c : PathChunk.of(n, rule.count(), engine.gradientCallSize(p.internalBatchSize()))) {
      Tensor points = c.interpolate(inputs, b, rule.alphas(), buffer);
      buffer = points.data();
      atLayer = engine.vjp(points, scoreAtLayer, Map.of(engine.graph().outputName(),
          ClassScores.oneHot(c.targets(targets), engine.classes())), atLayer);
      double[] throughUnit = neuron.values(atLayer.get(VjpSpec.gradientName(neuron.layer())));
      Tensor g = gradients.of(points);
      float[] scaled = g.data();
      for (int q = 0; q < c.count(); q++) {
        float factor = (float) throughUnit[q];
        for (int e = q * item; e < (q + 1) * item; e++) {
          scaled[e] *= factor;
        }
      }
      c.accumulate(total, g, rule.weights());
    }
    float[] out = new float[total.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = (float) ((inputs.data()[k] - b.data()[k]) * total[k]);
    }
    return new Tensor(inputs.shape(), out);
  }
}

package org.netvis.plugins.neuronattribution;

import java.util.List;
import org.netvis.engine.attribution.GradientShapDraws;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * GradientSHAP of one unit's value (Captum's NeuronGradientShap): each of an image's draws
 * ({@link GradientShapDraws}) contributes d unit / dx at b + a (x' - b) times x' - b, and the
 * attribution is their mean. The convergence delta, which Captum does not offer here, is GradientSHAP's
 * with the unit for the score: the sum less the mean of unit(x') - unit(b) over the same draws.
 */
final class NeuronGradientShap implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final Neuron neuron;
  private final NeuronGradientShapParameters p;
  private final GradientShapDraws draws;
  private final VjpSpec spec;

  NeuronGradientShap(AttributionContext ctx, Neuron neuron, NeuronGradientShapParameters p) {
    this.ctx = ctx;
    this.neuron = neuron;
    this.p = p;
    this.draws = new GradientShapDraws(ctx, p.baselines(), p.blurSigma(), p.nSamples(), p.stdevs());
    this.spec = new VjpSpec(List.of(neuron.layer()), List.of(), List.of());
  }

  /** The draws, for the tests. */
  GradientShapDraws draws() {
    return draws;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    UnitGradients gradients = new UnitGradients(ctx.engine(), spec, neuron);
    return draws.inputAttributions(inputs, ctx.engine().gradientCallSize(p.internalBatchSize()),
        c -> gradients.of(c.pointTensor()).data());
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return ConvergenceDelta.of(attributions.itemSums(), draws.means(inputs, targets,
        ctx.engine().gradientCallSize(p.internalBatchSize()), (images, drawTargets) -> neuron.valuesAt(ctx.engine(),
            images)));
  }
}

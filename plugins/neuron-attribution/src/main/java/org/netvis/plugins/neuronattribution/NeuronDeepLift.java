package org.netvis.plugins.neuronattribution;

import java.util.List;
import java.util.Map;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.ReferencePairs;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's NeuronDeepLift (rescale rule): (x - b) times the image row's DeepLIFT multipliers of one
 * unit, each image run beside its baseline with the unit seeded in both rows, as Captum seeds it in
 * its doubled batch. Captum reports no delta here; netvis does, sum - (unit(x) - unit(b)), about 0
 * where every nonlinearity before the unit is a ReLU or a max pool.
 */
final class NeuronDeepLift implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final Neuron neuron;
  private final NeuronDeepLiftParameters p;
  private final Baseline baseline;
  private final VjpSpec spec;

  NeuronDeepLift(AttributionContext ctx, Neuron neuron, NeuronDeepLiftParameters p) {
    this.ctx = ctx;
    this.neuron = neuron;
    this.p = p;
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
    this.spec = new VjpSpec(List.of(neuron.layer()), List.of(), List.of()).withBackward(VjpSpec.Backward.DEEPLIFT);
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Tensor b = baseline.ofImages(inputs, ctx);
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    float[] out = new float[n * item];
    for (ReferencePairs pairs : ReferencePairs.of(ctx.engine(), n, 1, p.internalBatchSize())) {
      float[] g = ctx.engine().vjp(pairs.rows(inputs, List.of(b)), spec,
          Map.of(neuron.layer(), neuron.cotangent(2 * pairs.count())))
          .get(VjpSpec.gradientName(ctx.engine().graph().inputName())).data();
      for (int q = 0; q < pairs.count(); q++) {
        int at = pairs.image(q) * item;
        for (int j = 0; j < item; j++) {
          out[at + j] = (inputs.data()[at + j] - b.data()[at + j]) * g[2 * q * item + j];
        }
      }
    }
    return new Tensor(inputs.shape(), out);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return ConvergenceDelta.of(attributions.itemSums(), neuron.valuesAt(ctx.engine(), inputs),
        neuron.valuesAt(ctx.engine(), baseline.ofImages(inputs, ctx)));
  }
}

package org.netvis.plugins.neuronattribution;

import java.util.List;
import java.util.Map;
import org.netvis.engine.attribution.BaselineDistribution;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.attribution.ReferencePairs;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's NeuronDeepLift (rescale rule): (x - b) times the image row's DeepLIFT multipliers of one
 * unit, each image run beside its reference with the unit seeded in both rows, as Captum seeds it in
 * its doubled batch; averaged over the image's references (one for neuron DeepLIFT, the distribution
 * for NeuronDeepLiftShap). Captum reports no delta here; netvis does, sum - (unit(x) - mean unit(b)),
 * about 0 where every nonlinearity before the unit is a ReLU or a max pool.
 */
final class NeuronDeepLift implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final Neuron neuron;
  private final ReferencePairs.References references;
  private final int internalBatchSize;
  private final VjpSpec spec;

  NeuronDeepLift(AttributionContext ctx, Neuron neuron, ReferencePairs.References references, int internalBatchSize) {
    this.ctx = ctx;
    this.neuron = neuron;
    this.references = references;
    this.internalBatchSize = internalBatchSize;
    this.spec = new VjpSpec(List.of(neuron.layer()), List.of(), List.of()).withBackward(VjpSpec.Backward.DEEPLIFT);
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    List<Tensor> refs = references.of(inputs);
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    float[] x = inputs.data();
    double[] total = new double[n * item];
    for (ReferencePairs pairs : ReferencePairs.of(ctx.engine(), n, refs.size(), internalBatchSize)) {
      float[] g = ctx.engine().vjp(pairs.rows(inputs, refs), spec,
          Map.of(neuron.layer(), neuron.cotangent(2 * pairs.count())))
          .get(VjpSpec.gradientName(ctx.engine().graph().inputName())).data();
      // An image's pairs add in reference order.
      for (int q = 0; q < pairs.count(); q++) {
        float[] b = refs.get(pairs.reference(q)).data();
        int at = pairs.image(q) * item;
        for (int j = 0; j < item; j++) {
          total[at + j] += (x[at + j] - b[at + j]) * g[2 * q * item + j];
        }
      }
    }
    float[] out = new float[total.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = (float) (total[k] / refs.size());
    }
    return new Tensor(inputs.shape(), out);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return ConvergenceDelta.of(attributions.itemSums(), BaselineDistribution.ends(inputs, references.of(inputs), targets,
        (images, imageTargets) -> neuron.valuesAt(ctx.engine(), images)));
  }
}

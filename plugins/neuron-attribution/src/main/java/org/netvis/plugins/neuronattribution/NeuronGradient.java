package org.netvis.plugins.neuronattribution;

import java.util.ArrayList;
import java.util.List;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;

/**
 * The gradient of one unit's value with respect to the input (Captum's NeuronGradient), or the same
 * through guided backpropagation's or the deconvnet's ReLU rule (NeuronGuidedBackprop,
 * NeuronDeconvolution). The images' labels play no part: the unit is the target.
 */
final class NeuronGradient implements Attribution {
  private final Engine engine;
  private final Neuron neuron;
  private final VjpSpec spec;
  private final int batch;

  NeuronGradient(Engine engine, Neuron neuron, VjpSpec.Backward backward, int batch) {
    this.engine = engine;
    this.neuron = neuron;
    this.spec = new VjpSpec(List.of(neuron.layer()), List.of(), List.of()).withBackward(backward);
    this.batch = batch;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    List<Tensor> parts = new ArrayList<>();
    for (int start = 0; start < n; start += batch) {
      // Each part is kept, so each takes arrays of its own.
      parts.add(new UnitGradients(engine, spec, neuron).of(inputs.slice(start, Math.min(n, start + batch))));
    }
    return parts.size() == 1 ? parts.get(0) : Tensor.concat(parts);
  }
}

package org.netvis.plugins.neuronattribution;

import java.util.Map;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Tensor;

/**
 * d unit / d input for one chunk of images after another, each call writing over the arrays of the
 * call before where the chunk's size is the same (the gradient it returned, and the unit's layer,
 * which the graph returns as its seed's value) and taking the same cotangent: a path method's chunks
 * then take no fresh image- or layer-sized arrays.
 */
final class UnitGradients {
  private final Engine engine;
  private final VjpSpec spec;
  private final Neuron neuron;
  private Map<String, Tensor> last = Map.of();
  private Tensor cotangent;

  /** @param spec a gradient graph seeded at the unit's layer, of the input */
  UnitGradients(Engine engine, VjpSpec spec, Neuron neuron) {
    this.engine = engine;
    this.spec = spec;
    this.neuron = neuron;
  }

  /** For these images (at most the engine's gradient batch); the tensor is overwritten by the next call. */
  Tensor of(Tensor images) {
    int n = (int) images.dim(0);
    if (cotangent == null || cotangent.dim(0) != n) {
      cotangent = neuron.cotangent(n);
    }
    last = engine.vjp(images, spec, Map.of(neuron.layer(), cotangent), last);
    return last.get(VjpSpec.gradientName(engine.graph().inputName()));
  }
}

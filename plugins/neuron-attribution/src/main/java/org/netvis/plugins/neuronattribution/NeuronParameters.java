package org.netvis.plugins.neuronattribution;

import java.util.List;
import org.netvis.engine.spi.Param;

/** Parameters of the neuron gradient methods. */
public record NeuronParameters(
    @Param(description = NeuronParameters.LAYER, defaultValue = "''") String layer,
    @Param(description = NeuronParameters.NEURON, defaultValue = "[]", min = 0) List<Integer> neuron,
    @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {

  static final String LAYER = "the tensor holding the unit, a name from `netvis layers`";
  static final String NEURON = "the unit's index within one image's part of the tensor, e.g. [channel, row, column]"
      + " of a (N, C, H, W) tensor (Captum's neuron_selector)";
}

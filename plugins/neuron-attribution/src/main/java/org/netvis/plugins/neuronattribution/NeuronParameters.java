package org.netvis.plugins.neuronattribution;

import java.util.List;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.spi.Param;

/** Parameters of the neuron gradient methods. */
public record NeuronParameters(
    @Param(description = Neuron.LAYER, defaultValue = "''") String layer,
    @Param(description = Neuron.NEURON, defaultValue = "[]", min = 0) List<Integer> neuron,
    @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {}

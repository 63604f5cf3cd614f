package org.netvis.plugins.neuronattribution;

import java.util.List;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.spi.Param;

/** Parameters of neuron DeepLIFT. */
public record NeuronDeepLiftParameters(
    @Param(description = Neuron.LAYER, defaultValue = "''") String layer,
    @Param(description = Neuron.NEURON, defaultValue = "[]", min = 0) List<Integer> neuron,
    @Param(description = NeuronPathParameters.BASELINE, defaultValue = "zeros") String baseline,
    @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
        exclusiveMin = true, max = 1000) double blurSigma,
    @Param(description = "images per gradient call (each runs beside its baseline)", defaultValue = "32", min = 1,
        max = 4096) int internalBatchSize) {}

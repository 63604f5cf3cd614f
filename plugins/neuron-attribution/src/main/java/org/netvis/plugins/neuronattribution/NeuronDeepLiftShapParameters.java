package org.netvis.plugins.neuronattribution;

import java.util.List;
import org.netvis.engine.attribution.BaselineDistribution;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.spi.Param;

/** Parameters of neuron DeepLIFT SHAP. */
public record NeuronDeepLiftShapParameters(
    @Param(description = Neuron.LAYER, defaultValue = "''") String layer,
    @Param(description = Neuron.NEURON, defaultValue = "[]", min = 0) List<Integer> neuron,
    @Param(description = BaselineDistribution.ALL, defaultValue = "[zeros, black, blur, uniform]")
    List<String> baselines,
    @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
        exclusiveMin = true, max = 1000) double blurSigma,
    @Param(description = "(image, baseline) pairs per gradient call", defaultValue = "16", min = 1, max = 100000)
    int internalBatchSize) {}

package org.netvis.plugins.neuronattribution;

import java.util.List;
import org.netvis.engine.attribution.GradientShapDraws;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.spi.Param;

/** Parameters of neuron GradientSHAP, with Captum's names and defaults where Captum has them. */
public record NeuronGradientShapParameters(
    @Param(description = Neuron.LAYER, defaultValue = "''") String layer,
    @Param(description = Neuron.NEURON, defaultValue = "[]", min = 0) List<Integer> neuron,
    @Param(description = GradientShapDraws.BASELINES, defaultValue = "[uniform]") List<String> baselines,
    @Param(description = GradientShapDraws.BLUR_SIGMA, defaultValue = "5.0", min = 0, exclusiveMin = true, max = 1000)
    double blurSigma,
    @Param(description = GradientShapDraws.N_SAMPLES, defaultValue = "5", min = 1, max = 100000) int nSamples,
    @Param(description = GradientShapDraws.STDEVS, defaultValue = "0.0", min = 0, max = 1e6) double stdevs,
    @Param(description = "draws per gradient call", defaultValue = "64", min = 1, max = 100000)
    int internalBatchSize) {}

package org.netvis.plugins.neuronattribution;

import java.util.List;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.spi.Param;

/**
 * Parameters of neuron conductance: those of neuron integrated gradients with Captum's default rule for
 * this method, the trapezoid (NeuronConductance.attribute's signature; its docstring says Gauss-Legendre).
 */
public record NeuronConductanceParameters(
    @Param(description = Neuron.LAYER, defaultValue = "''") String layer,
    @Param(description = Neuron.NEURON, defaultValue = "[]", min = 0) List<Integer> neuron,
    @Param(description = NeuronPathParameters.BASELINE, defaultValue = "zeros") String baseline,
    @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
        exclusiveMin = true, max = 1000) double blurSigma,
    @Param(description = "points on the path from the baseline to the input", defaultValue = "50", min = 1,
        max = 10000) int steps,
    @Param(description = "how the path integral is approximated", defaultValue = "riemann_trapezoid") PathRule method,
    @Param(description = "path points per gradient call (images x steps are split into batches of this size)",
        defaultValue = "64", min = 1, max = 100000) int internalBatchSize) {}

package org.netvis.plugins.neuronattribution;

import java.util.List;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.spi.Param;

/** Parameters of neuron integrated gradients, with Captum's defaults. */
public record NeuronPathParameters(
    @Param(description = Neuron.LAYER, defaultValue = "''") String layer,
    @Param(description = Neuron.NEURON, defaultValue = "[]", min = 0) List<Integer> neuron,
    @Param(description = NeuronPathParameters.BASELINE, defaultValue = "zeros") String baseline,
    @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
        exclusiveMin = true, max = 1000) double blurSigma,
    @Param(description = "points on the path from the baseline to the input", defaultValue = "50", min = 1,
        max = 10000) int steps,
    @Param(description = "how the path integral is approximated", defaultValue = "gausslegendre") PathRule method,
    @Param(description = "path points per gradient call (images x steps are split into batches of this size)",
        defaultValue = "64", min = 1, max = 100000) int internalBatchSize) {

  static final String BASELINE = "the reference input: zeros (in the normalized space, Captum's default), black"
      + " (pixels 0), blur (the image blurred with blur_sigma), uniform (uniform pixels from the step's seed, per"
      + " image), or a path to an .npy of shape (C, H, W) or (N, C, H, W) in the normalized space";
}

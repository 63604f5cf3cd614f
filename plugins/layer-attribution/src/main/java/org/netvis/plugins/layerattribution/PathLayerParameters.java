package org.netvis.plugins.layerattribution;

import org.netvis.engine.attribution.Interpolation;
import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.spi.Param;

/** Parameters of the layer methods that integrate along the path from a baseline to the input. */
public record PathLayerParameters(
    @Param(description = LayerParameters.LAYER, defaultValue = "''") String layer,
    @Param(description = LayerParameters.GRID, defaultValue = "0", min = 0, max = 4096) int grid,
    @Param(description = LayerParameters.BASELINE, defaultValue = "zeros") String baseline,
    @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
        exclusiveMin = true, max = 1000) double blurSigma,
    @Param(description = "points on the path (Captum's n_steps; conductance takes steps + 1 points)",
        defaultValue = "50", min = 1, max = 10000) int steps,
    @Param(description = "how the path integral is approximated", defaultValue = "gausslegendre") PathRule method,
    @Param(description = LayerParameters.INTERPOLATION, defaultValue = "none") Interpolation interpolation,
    @Param(description = "path points per gradient call (images x points are split into batches of this size)",
        defaultValue = "64", min = 1, max = 100000) int internalBatchSize) {}

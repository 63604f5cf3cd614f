package org.netvis.plugins.layerattribution;

import org.netvis.engine.attribution.Interpolation;
import org.netvis.engine.spi.Param;

/** Parameters of layer DeepLIFT. */
public record LayerDeepLiftParameters(
    @Param(description = LayerParameters.LAYER, defaultValue = "''") String layer,
    @Param(description = LayerParameters.GRID, defaultValue = "0", min = 0, max = 4096) int grid,
    @Param(description = LayerParameters.BASELINE, defaultValue = "zeros") String baseline,
    @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
        exclusiveMin = true, max = 1000) double blurSigma,
    @Param(description = LayerParameters.INTERPOLATION, defaultValue = "none") Interpolation interpolation,
    @Param(description = "images per gradient call (each runs beside its baseline)", defaultValue = "32", min = 1,
        max = 4096) int internalBatchSize) {}

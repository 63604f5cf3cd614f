package org.netvis.plugins.layerattribution;

import java.util.List;
import org.netvis.engine.attribution.BaselineDistribution;
import org.netvis.engine.attribution.Interpolation;
import org.netvis.engine.spi.Param;

/** Parameters of layer DeepLIFT SHAP. */
public record LayerDeepLiftShapParameters(
    @Param(description = LayerParameters.LAYER, defaultValue = "''") String layer,
    @Param(description = LayerParameters.GRID, defaultValue = "0", min = 0, max = 4096) int grid,
    @Param(description = BaselineDistribution.ALL, defaultValue = "[zeros, black, blur, uniform]")
    List<String> baselines,
    @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
        exclusiveMin = true, max = 1000) double blurSigma,
    @Param(description = LayerParameters.INTERPOLATION, defaultValue = "none") Interpolation interpolation,
    @Param(description = "(image, baseline) pairs per gradient call", defaultValue = "16", min = 1, max = 100000)
    int internalBatchSize) {}

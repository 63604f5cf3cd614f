package org.netvis.plugins.layerattribution;

import java.util.List;
import org.netvis.engine.attribution.GradientShapDraws;
import org.netvis.engine.attribution.Interpolation;
import org.netvis.engine.spi.Param;

/** Parameters of layer GradientSHAP, with Captum's names and defaults where Captum has them. */
public record LayerGradientShapParameters(
    @Param(description = LayerParameters.LAYER, defaultValue = "''") String layer,
    @Param(description = LayerParameters.GRID, defaultValue = "0", min = 0, max = 4096) int grid,
    @Param(description = GradientShapDraws.BASELINES, defaultValue = "[uniform]") List<String> baselines,
    @Param(description = GradientShapDraws.BLUR_SIGMA, defaultValue = "5.0", min = 0, exclusiveMin = true, max = 1000)
    double blurSigma,
    @Param(description = GradientShapDraws.N_SAMPLES, defaultValue = "5", min = 1, max = 100000) int nSamples,
    @Param(description = GradientShapDraws.STDEVS, defaultValue = "0.0", min = 0, max = 1e6) double stdevs,
    @Param(description = LayerParameters.INTERPOLATION, defaultValue = "none") Interpolation interpolation,
    @Param(description = "draws per gradient call", defaultValue = "32", min = 1, max = 100000)
    int internalBatchSize) {}

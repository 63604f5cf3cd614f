package org.netvis.plugins.layerattribution;

import java.util.Map;
import org.netvis.engine.attribution.Interpolation;
import org.netvis.engine.attribution.RelevanceRules;
import org.netvis.engine.spi.Param;

/** Parameters of layer LRP, with Captum's defaults. */
public record LayerLrpParameters(
    @Param(description = LayerParameters.LAYER, defaultValue = "''") String layer,
    @Param(description = LayerParameters.GRID, defaultValue = "0", min = 0, max = 4096) int grid,
    @Param(description = RelevanceRules.RULE, defaultValue = "epsilon") String rule,
    @Param(description = RelevanceRules.LAYERS, defaultValue = "{}") Map<String, Object> layers,
    @Param(description = RelevanceRules.ZERO_BIAS, defaultValue = "false") boolean zeroBias,
    @Param(description = LayerParameters.INTERPOLATION, defaultValue = "none") Interpolation interpolation,
    @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {}

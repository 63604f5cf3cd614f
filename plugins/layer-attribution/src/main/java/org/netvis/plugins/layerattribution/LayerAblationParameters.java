package org.netvis.plugins.layerattribution;

import org.netvis.engine.attribution.Interpolation;
import org.netvis.engine.spi.Param;

/** Parameters of layer feature ablation. */
public record LayerAblationParameters(
    @Param(description = LayerParameters.LAYER, defaultValue = "''") String layer,
    @Param(description = LayerParameters.GRID, defaultValue = "0", min = 0, max = 4096) int grid,
    @Param(description = "the units ablated together: channels (each channel at every position, Captum's"
        + " per-channel layer_mask), positions (each position of the feature map, or each token, across its channels),"
        + " or units (each unit alone, Captum's default without a layer_mask: one forward pass per unit)",
        defaultValue = "channels") LayerFeatures features,
    @Param(description = "the value an ablated unit takes (Captum's layer_baselines as a number)",
        defaultValue = "0.0", min = -1e30, max = 1e30) double baseline,
    @Param(description = LayerParameters.INTERPOLATION, defaultValue = "none") Interpolation interpolation,
    @Param(description = "ablated copies of the layer per forward pass (Captum's perturbations_per_eval)",
        defaultValue = "64", min = 1, max = 100000) int perturbationsPerEval,
    @Param(description = "images per forward pass for the layer's activations", defaultValue = "32", min = 1,
        max = 4096) int internalBatchSize) {}

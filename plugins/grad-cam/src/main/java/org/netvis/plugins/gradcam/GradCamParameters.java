package org.netvis.plugins.gradcam;

import org.netvis.engine.attribution.Interpolation;
import org.netvis.engine.spi.Param;

/** Parameters of Grad-CAM and Grad-CAM++. */
public record GradCamParameters(
    @Param(description = "the tensor to explain, a name from `netvis layers`"
        + " or a PyTorch module's qualified name, such as features.12, for its output (default: the last 4-D tensor with"
        + " a spatial size above 1 on the path to the logits whose channel axis the graph fixes, channels first or"
        + " last)", defaultValue = "''") String layer,
    @Param(description = "for a token tensor (N, T, D) such as a ViT block's output: the side of the square patch"
        + " grid; its last grid x grid tokens are the patches (class tokens before them are left out)",
        defaultValue = "0", min = 0, max = 4096) int grid,
    @Param(description = "how the map at the layer's resolution is brought to the input size: bilinear (half-pixel"
        + " centres, F.interpolate align_corners=False), nearest, or none (keep the layer's resolution)",
        defaultValue = "bilinear") Interpolation interpolation,
    @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {}

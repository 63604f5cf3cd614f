package org.netvis.plugins.layerattribution;

import org.netvis.engine.attribution.Interpolation;
import org.netvis.engine.spi.Param;

/** Parameters of layer gradient x activation. */
public record LayerParameters(
    @Param(description = LayerParameters.LAYER, defaultValue = "''") String layer,
    @Param(description = LayerParameters.GRID, defaultValue = "0", min = 0, max = 4096) int grid,
    @Param(description = LayerParameters.INTERPOLATION, defaultValue = "none") Interpolation interpolation,
    @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {

  static final String LAYER = "the tensor to attribute to, a name from `netvis layers`"
      + " or a PyTorch module's qualified name, such as features.12, for its output (default: the last 4-D tensor"
      + " with a spatial size above 1 on the path to the logits whose channel axis the graph fixes; a channels-last"
      + " tensor (N, H, W, C) is returned as (N, C, H, W))";
  static final String GRID = "for a token tensor (N, T, D) such as a ViT block's output: the side of the square patch"
      + " grid; its last grid x grid tokens are returned as (N, D, grid, grid)";
  static final String BASELINE = "the reference input: zeros (in the normalized space, Captum's default), black"
      + " (pixels 0), blur (the image blurred with blur_sigma), uniform (uniform pixels from the step's seed, per"
      + " image), or a path to an .npy of shape (C, H, W) or (N, C, H, W) in the normalized space";
  static final String INTERPOLATION = "none: the layer's attributions as they are, (N, C, h, w), Captum's output;"
      + " bilinear or nearest: their sum over channels brought to the input size, (N, 1, H, W), as Captum's"
      + " LayerAttribution.interpolate, for figures over the photo and for the methods that evaluate maps";
}

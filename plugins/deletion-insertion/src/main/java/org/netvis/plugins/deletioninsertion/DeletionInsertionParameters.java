package org.netvis.plugins.deletioninsertion;

import java.util.List;
import java.util.Map;
import org.netvis.engine.spi.Param;

/** Parameters of the deletion and insertion metrics. */
public record DeletionInsertionParameters(
    @Param(description = "attribution method ids to evaluate (any method netvis knows, plugin jars included), or"
        + " paths to .npy maps of shape (N, H, W) or (N, C, H, W)", defaultValue = "[saliency, integrated-gradients,"
        + " grad-cam]") List<String> methods,
    @Param(description = "parameters per method id, e.g. {integrated-gradients: {steps: 32}}", defaultValue = "{}")
    Map<String, Object> methodParams,
    @Param(description = "pixels removed (deletion) or restored (insertion) per step", defaultValue = "224", min = 1,
        max = 100000000) int pixelsPerStep,
    @Param(description = "side of the insertion blur kernel (RISE: 11)", defaultValue = "11", min = 1, max = 1001)
    int blurKernel,
    @Param(description = "sigma of the insertion blur, in pixels (RISE: 5)", defaultValue = "5.0", min = 0,
        exclusiveMin = true, max = 1000) double blurSigma,
    @Param(description = "perturbed images per forward pass", defaultValue = "64", min = 1, max = 100000)
    int batchSize) {}

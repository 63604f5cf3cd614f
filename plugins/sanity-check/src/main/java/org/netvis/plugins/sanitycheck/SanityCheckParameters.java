package org.netvis.plugins.sanitycheck;

import java.util.List;
import java.util.Map;
import org.netvis.engine.spi.Param;

/** Parameters of the model-randomization sanity check. */
public record SanityCheckParameters(
    @Param(description = "attribution method ids to check (any method netvis knows, plugin jars included)",
        defaultValue = "[saliency, integrated-gradients, guided-backprop, grad-cam]") List<String> methods,
    @Param(description = "parameters per method id, e.g. {integrated-gradients: {steps: 16}}", defaultValue = "{}")
    Map<String, Object> methodParams,
    @Param(description = "how many layers to randomize, from the logits down (0 = every layer with parameters)",
        defaultValue = "0", min = 0, max = 100000) int maxStages,
    @Param(description = "a method whose maps keep a Spearman rank correlation above this with the original after"
        + " the last stage is flagged as insensitive to the model", defaultValue = "0.5", min = -1, max = 1)
    double flagAbove) {}

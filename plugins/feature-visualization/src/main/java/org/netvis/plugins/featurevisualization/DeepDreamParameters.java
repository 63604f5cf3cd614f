package org.netvis.plugins.featurevisualization;

import org.netvis.engine.spi.Param;

/** Parameters of DeepDream; defaults as in the original notebook (4 octaves of scale 1.4, 10 steps each, jitter 32). */
public record DeepDreamParameters(
    @Param(description = "the tensor whose mean of squares to ascend, a name from `netvis layers`"
        + " or a PyTorch module's qualified name, such as features.12, for its output")
    String layer,
    @Param(description = "ascend only this channel's mean instead (-1: the whole layer)", defaultValue = "-1", min = -1,
        max = 1 << 24)
    int channel,
    @Param(description = "octaves, from the smallest image up to the input's size", defaultValue = "4", min = 1, max = 10)
    int octaves,
    @Param(description = "each octave is this many times the size of the one below", defaultValue = "1.4", min = 1,
        exclusiveMin = true, max = 4)
    double octaveScale,
    @Param(description = "gradient steps per octave", defaultValue = "10", min = 1, max = 10000)
    int iterations,
    @Param(description = "mean absolute change per step in [0, 1] pixels (the notebook's 1.5 of 255)",
        defaultValue = "0.00588235294", min = 0, exclusiveMin = true, max = 1)
    double stepSize,
    @Param(description = "largest random roll in pixels, drawn each step for x and y in [-jitter, jitter]",
        defaultValue = "32", min = 0, max = 1024)
    int jitter) {}

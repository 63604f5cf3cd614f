package org.netvis.plugins.fooling;

import org.netvis.engine.spi.Param;

/** Parameters of the fooling-image technique. */
public record FoolingParameters(
    @Param(description = "the class the model should be fooled into predicting", classId = true)
    int target,
    @Param(description = "step size: each step adds learning_rate * g / ||g||_2", defaultValue = "1.0",
        min = 0, exclusiveMin = true, max = 1e6)
    double learningRate,
    @Param(description = "most gradient steps per image", defaultValue = "100", min = 1, max = 100000)
    int maxIterations,
    @Param(description = "images optimized together in one batch", defaultValue = "32", min = 1, max = 4096)
    int batchSize) {}

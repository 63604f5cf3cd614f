package org.netvis.plugins.classvisualization;

import java.util.List;
import org.netvis.engine.spi.Param;

/** Parameters of class visualization, named and defaulted as in the reference assignment. */
public record ClassVisualizationParameters(
    @Param(description = "classes to visualize (all run as one batch)", classId = true)
    List<Integer> targets,
    @Param(description = "gradient ascent iterations", defaultValue = "100", min = 1, max = 100000)
    int numIterations,
    @Param(description = "step size of the normalized gradient step", defaultValue = "25", min = 0,
        exclusiveMin = true, max = 1e6)
    double learningRate,
    @Param(description = "weight of the L2 penalty: the objective is s_y(I) - l2_reg * ||I||^2",
        defaultValue = "1.0e-3", min = 0, max = 1e6)
    double l2Reg,
    @Param(description = "blur every this many iterations, from iteration 0", defaultValue = "10", min = 1,
        max = 100000)
    int blurEvery,
    @Param(description = "sigma of the Gaussian blur in pixels (0: no blur)", defaultValue = "0.5", min = 0,
        max = 100)
    double blurSigma,
    @Param(description = "largest random roll in pixels, drawn each iteration for x and y", defaultValue = "16",
        min = 0, max = 4096)
    int maxJitter,
    @Param(description = "save a snapshot every this many iterations", defaultValue = "25", min = 1,
        max = 100000)
    int showEvery,
    @Param(description = "height and width of the image; 0 means the model's input size", defaultValue = "0",
        min = 0, max = 4096)
    int imageSize) {

  public ClassVisualizationParameters {
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("targets must name at least one class");
    }
    targets = List.copyOf(targets);
  }
}

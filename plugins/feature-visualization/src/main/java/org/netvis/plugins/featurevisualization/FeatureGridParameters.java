package org.netvis.plugins.featurevisualization;

import java.util.List;
import org.netvis.engine.spi.Param;

/** Parameters of the feature grid: which channels of which layer, and the render settings. */
public record FeatureGridParameters(
    @Param(description = "the tensor whose channels to show, a name from `netvis layers`"
        + " or a PyTorch module's qualified name, such as features.12, for its output")
    String layer,
    @Param(description = "how many channels, from channel 0", defaultValue = "16", min = 1, max = 4096)
    int channels,
    @Param(description = "panels per row of the figure", defaultValue = "8", min = 1, max = 64)
    int columns,
    @Param(description = "channels optimized together in one batch", defaultValue = "16", min = 1, max = 256)
    int batchSize,
    @Param(description = "pixel or fft", defaultValue = "fft")
    ImageParameterization.Basis parameterization,
    @Param(description = "Lucid's colour decorrelation and sigmoid", defaultValue = "true")
    boolean decorrelate,
    @Param(description = "the fft spectrum is scaled by 1 / frequency^decay_power", defaultValue = "1", min = 0, max = 4)
    double decayPower,
    @Param(description = "standard or none", defaultValue = "standard")
    RenderParameters.TransformSet transforms,
    @Param(description = "adam or ascent", defaultValue = "adam")
    Optimizer.Kind optimizer,
    @Param(description = "the optimizer's step size", defaultValue = "0.05", min = 0, exclusiveMin = true, max = 1e6)
    double learningRate,
    @Param(description = "optimization steps", defaultValue = "256", min = 1, max = 100000)
    int steps,
    @Param(description = "steps at which to save the images as well", defaultValue = "[]", min = 1, max = 100000)
    List<Integer> snapshots,
    @Param(description = "side of each image; 0 means the model's input size", defaultValue = "0", min = 0, max = 2048)
    int imageSize) implements RenderParameters {

  public FeatureGridParameters {
    snapshots = List.copyOf(snapshots);
  }
}

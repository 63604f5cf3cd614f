package org.netvis.plugins.featurevisualization;

import java.util.List;
import java.util.Map;
import org.netvis.engine.spi.Param;

/** Parameters of feature visualization; defaults are Lucid's {@code render_vis}. */
public record FeatureVisualizationParameters(
    @Param(description = "terms to maximize, each {KIND: ..., weight: W, image: B}; kinds: channel {layer, index},"
        + " neuron {layer, index[, x, y]}, layer NAME (mean of squares), class K, direction {layer, vector},"
        + " diversity NAME (use a negative weight), l2 C (C ||input||^2)")
    List<Map<String, Object>> objective,
    @Param(description = "images optimized together; 0 means one more than the largest image index in the objective",
        defaultValue = "0", min = 0, max = 256)
    int batch,
    @Param(description = "pixel (the image itself) or fft (Lucid's scaled spectrum)", defaultValue = "fft")
    ImageParameterization.Basis parameterization,
    @Param(description = "Lucid's ImageNet colour decorrelation followed by a sigmoid; without it, pixel images are"
        + " clamped to [0, 1]", defaultValue = "true")
    boolean decorrelate,
    @Param(description = "the fft spectrum is scaled by 1 / frequency^decay_power", defaultValue = "1", min = 0, max = 4)
    double decayPower,
    @Param(description = "standard (Lucid's pad 12, jitter 8, scale, rotate, jitter 4) or none", defaultValue = "standard")
    RenderParameters.TransformSet transforms,
    @Param(description = "adam or ascent (the assignment's lr * g / ||g||)", defaultValue = "adam")
    Optimizer.Kind optimizer,
    @Param(description = "the optimizer's step size", defaultValue = "0.05", min = 0, exclusiveMin = true, max = 1e6)
    double learningRate,
    @Param(description = "optimization steps", defaultValue = "512", min = 1, max = 100000)
    int steps,
    @Param(description = "steps at which to save the images as well", defaultValue = "[]", min = 1, max = 100000)
    List<Integer> snapshots,
    @Param(description = "side of the optimized image; 0 means the model's input size", defaultValue = "0", min = 0,
        max = 2048)
    int imageSize) implements RenderParameters {

  public FeatureVisualizationParameters {
    Objective o = ObjectiveParser.parse(objective, "objective");
    if (batch > 0 && o.impliedBatch() > batch) {
      throw new IllegalArgumentException("batch: " + batch + " is smaller than the objective's image index "
          + (o.impliedBatch() - 1) + " needs");
    }
    objective = List.copyOf(objective);
    snapshots = List.copyOf(snapshots);
  }

  Objective parsedObjective() {
    return ObjectiveParser.parse(objective, "objective");
  }

  int batchSize() {
    return batch > 0 ? batch : parsedObjective().impliedBatch();
  }
}

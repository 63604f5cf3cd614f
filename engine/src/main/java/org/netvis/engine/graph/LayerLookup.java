package org.netvis.engine.graph;

import java.util.List;
import java.util.Set;
import org.netvis.engine.spi.NearestNames;

/**
 * Finds a tensor that a technique names (a Grad-CAM layer, a feature-visualization unit) among the
 * tensors on the gradient path, and says plainly why a name does not fit: no such tensor (with the
 * nearest names), or a tensor the gradient does not flow through.
 *
 * @param model the model's id, for messages and the {@code netvis layers} hint
 * @param path the tensors on the gradient path ({@link GradientGraphBuilder#gradientPath})
 * @param allTensors every tensor name of the model
 */
public record LayerLookup(String model, List<GradientGraphBuilder.LayerTensor> path, Set<String> allTensors) {

  /** The tensor named {@code name}; {@code key} (e.g. {@code objective[0].channel.layer}) starts any message. */
  public GradientGraphBuilder.LayerTensor find(String key, String name) {
    for (GradientGraphBuilder.LayerTensor l : path) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    String hint = "`netvis layers " + model + "` lists the " + path.size() + " tensors on it";
    if (allTensors.contains(name)) {
      throw new IllegalArgumentException(key + ": '" + name + "' is a tensor of " + model + " but not on its gradient"
          + " path (it does not depend on the image, or the logits do not depend on it); " + hint);
    }
    throw new IllegalArgumentException(key + ": '" + name + "' is not a tensor of " + model + "; nearest names: "
        + String.join(", ", NearestNames.nearest(name,
            path.stream().map(GradientGraphBuilder.LayerTensor::name).toList(), 3)) + "; " + hint);
  }
}

package org.netvis.engine.graph;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

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
        + String.join(", ", nearest(name, 3)) + "; " + hint);
  }

  /** The {@code count} path tensor names closest to {@code name} by edit distance. */
  public List<String> nearest(String name, int count) {
    List<String> names = new ArrayList<>(path.stream().map(GradientGraphBuilder.LayerTensor::name).toList());
    names.sort(Comparator.comparingInt((String n) -> editDistance(name, n)).thenComparing(n -> n));
    return names.subList(0, Math.min(count, names.size()));
  }

  static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }
}

package org.netvis.engine.graph;

import java.util.List;

/**
 * What a gradient graph computes. It takes the model input and one cotangent per seed, and returns
 * the seeds' values, any extra forward tensors, and the gradient of sum(cotangent * seed) over all
 * seeds with respect to each tensor in {@code gradientsOf}.
 *
 * @param seeds tensors to take cotangents for; empty means the model's logits output
 * @param forwardOutputs internal tensors to return as they are (e.g. a layer's activations)
 * @param gradientsOf tensors whose gradient to return; empty means the model input
 */
public record VjpSpec(List<String> seeds, List<String> forwardOutputs, List<String> gradientsOf) {
  public static final VjpSpec DEFAULT = new VjpSpec(List.of(), List.of(), List.of());

  public VjpSpec {
    seeds = List.copyOf(seeds);
    forwardOutputs = List.copyOf(forwardOutputs);
    gradientsOf = List.copyOf(gradientsOf);
  }

  public boolean isDefault() {
    return seeds.isEmpty() && forwardOutputs.isEmpty() && gradientsOf.isEmpty();
  }

  /** Name of the graph input holding the cotangent of {@code seed}. */
  public static String cotangentName(String seed) {
    return "netvis/cotangent/" + seed;
  }

  /** Name of the graph output holding the gradient with respect to {@code tensor}. */
  public static String gradientName(String tensor) {
    return "netvis/grad/" + tensor;
  }

  /** A stable text form, recorded in the graph's metadata and hashed into companion file names. */
  public String key() {
    return "seeds=" + String.join(",", seeds) + ";forward=" + String.join(",", forwardOutputs)
        + ";grad=" + String.join(",", gradientsOf);
  }
}

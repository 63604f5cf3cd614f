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
public record VjpSpec(List<String> seeds, List<String> forwardOutputs, List<String> gradientsOf,
    ReluBackward relu) {
  public static final VjpSpec DEFAULT = new VjpSpec(List.of(), List.of(), List.of());

  /**
   * How gradients pass Relu nodes backwards: the true gradient, or the modified rules of guided
   * backpropagation (Springenberg et al. 2015: positive gradients where the input was positive)
   * and the deconvnet (Zeiler and Fergus 2014: positive gradients), as Captum overrides nn.ReLU.
   */
  public enum ReluBackward { GRADIENT, GUIDED, DECONVNET }

  public VjpSpec {
    seeds = List.copyOf(seeds);
    forwardOutputs = List.copyOf(forwardOutputs);
    gradientsOf = List.copyOf(gradientsOf);
    relu = relu == null ? ReluBackward.GRADIENT : relu;
  }

  public VjpSpec(List<String> seeds, List<String> forwardOutputs, List<String> gradientsOf) {
    this(seeds, forwardOutputs, gradientsOf, ReluBackward.GRADIENT);
  }

  /** The same spec with another Relu rule. */
  public VjpSpec withRelu(ReluBackward rule) {
    return new VjpSpec(seeds, forwardOutputs, gradientsOf, rule);
  }

  public boolean isDefault() {
    return seeds.isEmpty() && forwardOutputs.isEmpty() && gradientsOf.isEmpty() && relu == ReluBackward.GRADIENT;
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
        + ";grad=" + String.join(",", gradientsOf) + (relu == ReluBackward.GRADIENT ? "" : ";relu=" + relu);
  }
}

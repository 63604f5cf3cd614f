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
 * @param relu how gradients pass Relu nodes backwards
 * @param seedInput what the graph takes for each seed: its cotangent, or a target distribution
 */
public record VjpSpec(List<String> seeds, List<String> forwardOutputs, List<String> gradientsOf,
    ReluBackward relu, SeedInput seedInput) {
  public static final VjpSpec DEFAULT = new VjpSpec(List.of(), List.of(), List.of());

  /**
   * How gradients pass Relu nodes backwards: the true gradient, or the modified rules of guided
   * backpropagation (Springenberg et al. 2015: positive gradients where the input was positive)
   * and the deconvnet (Zeiler and Fergus 2014: positive gradients), as Captum overrides nn.ReLU.
   */
  public enum ReluBackward { GRADIENT, GUIDED, DECONVNET }

  /**
   * What the graph takes for a seed. A cotangent, or, for logits ([N, classes]), a target
   * distribution q per row: the graph then forms the cotangent softmax(logits) - q itself, which is
   * the gradient of the summed cross-entropy sum_i CE(logits_i, q_i) with respect to the logits, so
   * that a loss gradient takes one run instead of a forward pass to read the logits and a second one.
   */
  public enum SeedInput { COTANGENT, CROSS_ENTROPY_TARGET }

  public VjpSpec {
    seeds = List.copyOf(seeds);
    forwardOutputs = List.copyOf(forwardOutputs);
    gradientsOf = List.copyOf(gradientsOf);
    relu = relu == null ? ReluBackward.GRADIENT : relu;
    seedInput = seedInput == null ? SeedInput.COTANGENT : seedInput;
  }

  public VjpSpec(List<String> seeds, List<String> forwardOutputs, List<String> gradientsOf) {
    this(seeds, forwardOutputs, gradientsOf, ReluBackward.GRADIENT, SeedInput.COTANGENT);
  }

  /** The same spec with another Relu rule. */
  public VjpSpec withRelu(ReluBackward rule) {
    return new VjpSpec(seeds, forwardOutputs, gradientsOf, rule, seedInput);
  }

  /** The same spec taking target distributions for its seeds (see {@link SeedInput}). */
  public VjpSpec withCrossEntropyTargets() {
    return new VjpSpec(seeds, forwardOutputs, gradientsOf, relu, SeedInput.CROSS_ENTROPY_TARGET);
  }

  public boolean isDefault() {
    return seeds.isEmpty() && forwardOutputs.isEmpty() && gradientsOf.isEmpty() && relu == ReluBackward.GRADIENT
        && seedInput == SeedInput.COTANGENT;
  }

  /** Name of the graph input holding the cotangent of {@code seed}. */
  public static String cotangentName(String seed) {
    return "netvis/cotangent/" + seed;
  }

  /** Name of the graph input holding the cross-entropy target distribution of {@code seed}. */
  public static String targetName(String seed) {
    return "netvis/target/" + seed;
  }

  /** Name of the graph input this spec takes for {@code seed}. */
  public String seedInputName(String seed) {
    return seedInput == SeedInput.COTANGENT ? cotangentName(seed) : targetName(seed);
  }

  /** Name of the graph output holding the gradient with respect to {@code tensor}. */
  public static String gradientName(String tensor) {
    return "netvis/grad/" + tensor;
  }

  /** A stable text form, recorded in the graph's metadata and hashed into companion file names. */
  public String key() {
    return "seeds=" + String.join(",", seeds) + ";forward=" + String.join(",", forwardOutputs)
        + ";grad=" + String.join(",", gradientsOf) + (relu == ReluBackward.GRADIENT ? "" : ";relu=" + relu)
        + (seedInput == SeedInput.COTANGENT ? "" : ";seed_input=" + seedInput);
  }
}

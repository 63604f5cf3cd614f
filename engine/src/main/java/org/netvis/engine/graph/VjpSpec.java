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
 * @param backward how gradients pass the nonlinearities backwards
 * @param seedInput what the graph takes for each seed: its cotangent, or a target distribution
 * @param lrp each layer's relevance rule where {@code backward} is {@link Backward#LRP}, else null
 * @param shifts internal tensors T that the graph reads as T + D, with D a graph input per tensor
 *     ({@link #shiftName}): the model evaluated with a hidden tensor moved while every other path still
 *     reads the image (Captum's layer integrated gradients sets a layer's output this way); the
 *     gradient of T is then the gradient at T + D
 */
public record VjpSpec(List<String> seeds, List<String> forwardOutputs, List<String> gradientsOf,
    Backward backward, SeedInput seedInput, LrpRules lrp, List<String> shifts) {
  public static final VjpSpec DEFAULT = new VjpSpec(List.of(), List.of(), List.of());

  /**
   * How gradients pass the nonlinearities backwards: the true gradient; the modified Relu rules of
   * guided backpropagation (Springenberg et al. 2015: positive gradients where the input was
   * positive) and the deconvnet (Zeiler and Fergus 2014: positive gradients), as Captum overrides
   * nn.ReLU; or DeepLIFT's rescale rule (Shrikumar et al. 2017) as Captum's DeepLift applies it, at
   * Relu, Sigmoid, Tanh and MaxPool nodes, over a batch of (input, reference) pairs: rows 2i and 2i + 1
   * (see {@link #pairedRows}); or layer-wise relevance propagation (Bach et al. 2015) with a rule
   * per layer ({@link LrpRules}), as Captum's LRP propagates relevance: the graph then returns the
   * relevance at the input for a relevance of 1 at the seeds.
   */
  public enum Backward {
    GRADIENT, GUIDED, DECONVNET, DEEPLIFT, LRP;

    /**
     * Whether a max pool or a Concat that alone reads Relu outputs may apply their masks for them
     * (a positive gradient and a mask commute; the deconvnet has no mask, DeepLIFT no plain one, and
     * LRP passes relevance through).
     */
    public boolean premasks() {
      return this == GRADIENT || this == GUIDED;
    }
  }

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
    shifts = List.copyOf(shifts);
    backward = backward == null ? Backward.GRADIENT : backward;
    seedInput = seedInput == null ? SeedInput.COTANGENT : seedInput;
    if ((backward == Backward.LRP) != (lrp != null)) {
      throw new IllegalArgumentException("relevance rules go with backward LRP and only with it; got " + backward
          + (lrp == null ? " without rules" : " with rules"));
    }
  }

  public VjpSpec(List<String> seeds, List<String> forwardOutputs, List<String> gradientsOf) {
    this(seeds, forwardOutputs, gradientsOf, Backward.GRADIENT, SeedInput.COTANGENT, null, List.of());
  }

  /** The same spec with other backward rules (for {@link Backward#LRP}, see {@link #withLrp}). */
  public VjpSpec withBackward(Backward rule) {
    return new VjpSpec(seeds, forwardOutputs, gradientsOf, rule, seedInput, null, shifts);
  }

  /** The same spec propagating relevance with these rules ({@link Backward#LRP}). */
  public VjpSpec withLrp(LrpRules rules) {
    return new VjpSpec(seeds, forwardOutputs, gradientsOf, Backward.LRP, seedInput, rules, shifts);
  }

  /**
   * Whether the graph reads its batch as (input, reference) pairs, rows 2i and 2i + 1, whose rows
   * the rules combine: such a batch must run with its pairs together.
   */
  public boolean pairedRows() {
    return backward == Backward.DEEPLIFT;
  }

  /** The same spec taking target distributions for its seeds (see {@link SeedInput}). */
  public VjpSpec withCrossEntropyTargets() {
    return new VjpSpec(seeds, forwardOutputs, gradientsOf, backward, SeedInput.CROSS_ENTROPY_TARGET, lrp, shifts);
  }

  /** The same spec reading each of {@code tensors} shifted by a graph input (see {@link #shifts}). */
  public VjpSpec withShifts(List<String> tensors) {
    return new VjpSpec(seeds, forwardOutputs, gradientsOf, backward, seedInput, lrp, tensors);
  }

  public boolean isDefault() {
    return seeds.isEmpty() && forwardOutputs.isEmpty() && gradientsOf.isEmpty() && backward == Backward.GRADIENT
        && seedInput == SeedInput.COTANGENT && shifts.isEmpty();
  }

  /** Name of the graph input holding the shift D of {@code tensor} (see {@link #shifts}). */
  public static String shiftName(String tensor) {
    return "netvis/shift/" + tensor;
  }

  /** Name of the tensor T + D that the nodes reading a shifted {@code tensor} read instead. */
  public static String shiftedName(String tensor) {
    return "netvis/shifted/" + tensor;
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
        + ";grad=" + String.join(",", gradientsOf) + (backward == Backward.GRADIENT ? "" : ";backward=" + backward)
        + (lrp == null ? "" : ";lrp=" + lrp.key())
        + (shifts.isEmpty() ? "" : ";shift=" + String.join(",", shifts))
        + (seedInput == SeedInput.COTANGENT ? "" : ";seed_input=" + seedInput);
  }
}

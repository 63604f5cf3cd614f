package org.netvis.engine.graph;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which layer-wise relevance propagation rule each layer of a gradient graph takes
 * ({@link VjpSpec.Backward#LRP}): the first of {@code layers} whose pattern occurs in the node's
 * name, else {@code fallback}; {@code inputBounds}, the range of the model input's values per channel,
 * for the z^B rule (null where no layer takes it).
 */
public record LrpRules(Rule fallback, List<LayerRule> layers, InputBounds inputBounds) {

  /**
   * Captum's EpsilonRule, GammaRule, Alpha1_Beta0_Rule and IdentityRule, and the z^B rule (Montavon et
   * al. 2017; zennit's ZBox) for a first layer whose input lies within known bounds.
   */
  public enum Kind { EPSILON, GAMMA, ALPHA1_BETA0, IDENTITY, ZB }

  /** The smallest and largest value of each channel of the model input (pixels 0 and 1, normalized). */
  public record InputBounds(List<Double> low, List<Double> high) {
    public InputBounds {
      low = List.copyOf(low);
      high = List.copyOf(high);
      if (low.size() != high.size()) {
        throw new IllegalArgumentException("input bounds of " + low.size() + " and " + high.size() + " channels");
      }
    }
  }

  /** The operators LRP takes as layers, each passing relevance by its rule (see {@link LrpGradients}). */
  public static final Set<String> LAYER_OPERATORS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul",
      "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceSum", "ReduceMean",
      "Resize", "Add", "Sub", "Sum", "Mean", "Neg", "Mul", "Div");

  /** Captum's stabilizer of the rules other than epsilon (its PropagationRule.STABILITY_FACTOR). */
  public static final double STABILITY = 1e-9;

  /**
   * One rule. Every rule divides the relevance at a layer's output z by z + epsilon * sign(z) (sign(0)
   * = 1); gamma and alpha1_beta0 compute that z with changed weights (w + gamma * max(w, 0), max(w, 0)),
   * and with zero bias where {@code zeroBias}; identity passes the relevance through unchanged; zb, for
   * a Conv reading the model input, takes z = (w x + b) - w+ l - w- h over the input's bounds l
   * and h, and passes x w^T s - l w+^T s - h w-^T s, s the relevance over z stabilized as above.
   */
  public record Rule(Kind kind, double epsilon, double gamma, boolean zeroBias) {
    public Rule {
      if (!(epsilon >= 0) || !Double.isFinite(epsilon)) {
        throw new IllegalArgumentException("epsilon " + epsilon + " is not a finite number >= 0");
      }
      if (!(gamma >= 0) || !Double.isFinite(gamma)) {
        throw new IllegalArgumentException("gamma " + gamma + " is not a finite number >= 0");
      }
    }

    public static Rule epsilon(double epsilon) {
      return new Rule(Kind.EPSILON, epsilon, 0, false);
    }

    public static Rule gamma(double gamma, boolean zeroBias) {
      return new Rule(Kind.GAMMA, STABILITY, gamma, zeroBias);
    }

    /**
     * A rule as experiment files write it: {@code epsilon [E]}, {@code gamma [G]},
     * {@code alpha1_beta0}, {@code identity} or {@code zb}, with Captum's defaults (E 1e-9, G 0.25).
     */
    public static Rule parse(String text, boolean zeroBias) {
      String[] words = text.strip().split("\\s+");
      String kind = words[0].toLowerCase(Locale.ROOT);
      int arguments = kind.equals("epsilon") || kind.equals("gamma") ? 1 : 0;
      if (words.length > 1 + arguments
          || !List.of("epsilon", "gamma", "alpha1_beta0", "identity", "zb").contains(kind)) {
        throw new IllegalArgumentException("'" + text + "' is not a rule (expected epsilon [E], gamma [G],"
            + " alpha1_beta0, identity or zb)");
      }
      double value;
      try {
        value = words.length > 1 ? Double.parseDouble(words[1]) : kind.equals("gamma") ? 0.25 : STABILITY;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "': '" + words[1] + "' is not a number");
      }
      return switch (kind) {
        case "epsilon" -> epsilon(value);
        case "gamma" -> gamma(value, zeroBias);
        case "alpha1_beta0" -> new Rule(Kind.ALPHA1_BETA0, STABILITY, 0, zeroBias);
        case "zb" -> new Rule(Kind.ZB, STABILITY, 0, false);
        default -> new Rule(Kind.IDENTITY, STABILITY, 0, false);
      };
    }

    /** Whether z is computed with other weights than the forward pass's. */
    boolean changesWeights() {
      return kind == Kind.GAMMA || kind == Kind.ALPHA1_BETA0;
    }

    /** The weight as this rule's z reads it. */
    float changed(float w) {
      return switch (kind) {
        case GAMMA -> (float) (w + gamma * Math.max(w, 0f));
        case ALPHA1_BETA0 -> Math.max(w, 0f);
        default -> w;
      };
    }

    String key() {
      return switch (kind) {
        case EPSILON -> "epsilon " + epsilon;
        case GAMMA -> "gamma " + gamma + (zeroBias ? " zero_bias" : "")
            + (epsilon == STABILITY ? "" : " eps " + epsilon);
        case ALPHA1_BETA0 -> "alpha1_beta0" + (zeroBias ? " zero_bias" : "");
        case IDENTITY -> "identity";
        case ZB -> "zb";
      };
    }
  }

  /** A rule for the layers whose node names contain a match of {@code pattern} (a Java regular expression). */
  public record LayerRule(String pattern, Rule rule) {
    public LayerRule {
      try {
        Pattern.compile(pattern);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException("'" + pattern + "' is not a regular expression: " + e.getDescription());
      }
    }

    boolean matches(String nodeName) {
      return Pattern.compile(pattern).matcher(nodeName).find();
    }
  }

  public LrpRules {
    layers = List.copyOf(layers);
    boolean zb = fallback.kind() == Kind.ZB || layers.stream().anyMatch(l -> l.rule().kind() == Kind.ZB);
    if (zb && inputBounds == null) {
      throw new IllegalArgumentException("the zb rule needs the bounds of the model input's values");
    }
  }

  public LrpRules(Rule fallback, List<LayerRule> layers) {
    this(fallback, layers, null);
  }

  /** One rule for every layer. */
  public static LrpRules of(Rule rule) {
    return new LrpRules(rule, List.of());
  }

  /** The rule of the layer computed by the node of this name. */
  public Rule ruleFor(String nodeName) {
    for (LayerRule l : layers) {
      if (l.matches(nodeName)) {
        return l.rule();
      }
    }
    return fallback;
  }

  /**
   * Refuses rules for layers whose pattern selects none of the named layers (the nodes of
   * {@link #LAYER_OPERATORS} on the relevance path): a typing error in a pattern would otherwise
   * leave those layers with the fallback rule unnoticed.
   */
  public void requireEveryRuleUsed(List<String> layerNames) {
    for (LayerRule l : layers) {
      if (layerNames.stream().noneMatch(l::matches)) {
        throw new IllegalArgumentException("LRP rule for layers '" + l.pattern() + "' matches no layer of the model;"
            + " its layers on the relevance path are " + (layerNames.size() <= 12 ? layerNames.toString()
                : layerNames.subList(0, 6) + " ... " + layerNames.subList(layerNames.size() - 6, layerNames.size())
                    + " (" + layerNames.size() + ")"));
      }
    }
  }

  /** A stable text form, part of the gradient graph's {@link VjpSpec#key}. */
  String key() {
    StringBuilder b = new StringBuilder(fallback.key());
    layers.forEach(l -> b.append("|").append(l.pattern()).append("=").append(l.rule().key()));
    if (inputBounds != null) {
      b.append("|bounds=").append(inputBounds.low()).append(inputBounds.high());
    }
    return b.toString();
  }
}

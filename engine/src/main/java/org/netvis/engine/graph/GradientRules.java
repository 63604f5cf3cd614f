package org.netvis.engine.graph;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Every operator netvis can differentiate, each with its reverse-mode rule. */
public final class GradientRules {
  private static final Map<String, NodeGradient> RULES;

  static {
    Map<String, NodeGradient> rules = new TreeMap<>();
    ElementwiseGradients.register(rules);
    ActivationGradients.register(rules);
    TrigonometricGradients.register(rules);
    ConvolutionGradients.register(rules);
    PoolingGradients.register(rules);
    LinearGradients.register(rules);
    ShapeGradients.register(rules);
    ReductionGradients.register(rules);
    SelectionGradients.register(rules);
    NormalizationGradients.register(rules);
    AttentionGradients.register(rules);
    QuantizationGradients.register(rules);
    ResizeGradients.register(rules);
    GridSampleGradients.register(rules);
    RULES = Collections.unmodifiableMap(rules);
  }

  private GradientRules() {}

  /** The rule for an operator type, or null. */
  public static NodeGradient forOp(String opType) {
    return RULES.get(opType);
  }

  /** The rule for an operator type under the given backward rules (DeepLIFT replaces some, LRP all), or null. */
  static NodeGradient forOp(String opType, VjpSpec.Backward backward) {
    return switch (backward) {
      case DEEPLIFT -> {
        NodeGradient replaced = DeepLiftGradients.forOp(opType);
        yield replaced != null ? replaced : RULES.get(opType);
      }
      case LRP -> LrpGradients.forOp(opType, RULES.get(opType));
      default -> RULES.get(opType);
    };
  }

  /** Operator types with a gradient rule, sorted. */
  public static Set<String> supportedOperators() {
    return RULES.keySet();
  }
}

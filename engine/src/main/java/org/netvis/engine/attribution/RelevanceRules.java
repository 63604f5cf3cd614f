package org.netvis.engine.attribution;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.netvis.engine.graph.GradientGraphBuilder.LayerTensor;
import org.netvis.engine.graph.LrpRules;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Tensor;

/**
 * LRP's rules as a step's parameters give them ({@code rule}, {@code layers}, {@code zero_bias}),
 * parsed and checked against the model's layers: for LRP and its layer form.
 */
public final class RelevanceRules {
  public static final String RULE = "the rule of every layer that `layers` does not name: epsilon [E] (E 1e-9 by"
      + " default), gamma [G] (0.25), alpha1_beta0, identity, or zb (z^B, for the first layer: the image's pixels"
      + " bounded by 0 and 1)";
  public static final String LAYERS = "rules for some layers: a mapping of Java regular expressions, each found in the"
      + " names of the layers' ONNX nodes (`netvis layers` lists them), to rules; the first that matches a layer sets"
      + " its rule, and each must match at least one layer";
  public static final String ZERO_BIAS = "gamma and alpha1_beta0 compute their layers' outputs without the bias"
      + " (Captum's set_bias_to_zero)";

  private RelevanceRules() {}

  /** The rules the parameters name; an unknown rule, or a pattern that matches no layer, is named by its key. */
  public static LrpRules of(AttributionContext ctx, String rule, Map<String, Object> layers, boolean zeroBias) {
    LrpRules.Rule fallback;
    try {
      fallback = LrpRules.Rule.parse(rule, zeroBias);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("rule: " + e.getMessage(), e);
    }
    List<LrpRules.LayerRule> named = new ArrayList<>();
    for (Map.Entry<String, Object> e : layers.entrySet()) {
      String key = "layers." + e.getKey();
      if (!(e.getValue() instanceof String text)) {
        throw new IllegalArgumentException(key + ": expected a rule as text (epsilon [E], gamma [G], alpha1_beta0 or"
            + " identity), got " + e.getValue());
      }
      try {
        named.add(new LrpRules.LayerRule(e.getKey(), LrpRules.Rule.parse(text, zeroBias)));
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(key + ": " + bad.getMessage(), bad);
      }
    }
    boolean zb = fallback.kind() == LrpRules.Kind.ZB
        || named.stream().anyMatch(l -> l.rule().kind() == LrpRules.Kind.ZB);
    // The bounds only where a rule reads them: they are part of the relevance graph's key.
    LrpRules rules = new LrpRules(fallback, named, zb ? pixelBounds(ctx) : null);
    List<String> layerNames = ctx.engine().layers().stream()
        .filter(l -> LrpRules.LAYER_OPERATORS.contains(l.opType())).map(LayerTensor::nodeName).distinct().toList();
    try {
      rules.requireEveryRuleUsed(layerNames);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("layers: " + e.getMessage(), e);
    }
    return rules;
  }

  /** Each input channel's values at pixels 0 and 1: the bounds the zb rule reads. */
  private static LrpRules.InputBounds pixelBounds(AttributionContext ctx) {
    int channels = (int) ctx.engine().channels();
    List<Double> low = new ArrayList<>();
    List<Double> high = new ArrayList<>();
    for (float pixel : new float[] {0f, 1f}) {
      float[] values = new float[channels];
      Arrays.fill(values, pixel);
      Tensor normalized = Pixels.fromUnitPixels(new Tensor(new long[] {1, channels, 1, 1}, values),
          ctx.model().preprocessing());
      for (float v : normalized.data()) {
        (pixel == 0f ? low : high).add((double) v);
      }
    }
    return new LrpRules.InputBounds(low, high);
  }
}

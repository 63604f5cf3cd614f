package org.netvis.plugins.lrp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.netvis.engine.graph.GradientGraphBuilder.LayerTensor;
import org.netvis.engine.graph.LrpRules;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;
import org.netvis.engine.spi.Param;
import org.netvis.engine.tensor.Tensor;

/** Registers layer-wise relevance propagation. */
public final class LrpProvider implements AttributionProvider {

  /** Parameters of LRP, with Captum's defaults. */
  public record Parameters(
      @Param(description = "the rule of every layer that `layers` does not name: epsilon [E] (E 1e-9 by default),"
          + " gamma [G] (0.25), alpha1_beta0, identity, or zb (z^B, for the first layer: the image's pixels bounded"
          + " by 0 and 1)", defaultValue = "epsilon") String rule,
      @Param(description = "rules for some layers: a mapping of Java regular expressions, each found in the names of"
          + " the layers' ONNX nodes (`netvis layers` lists them), to rules; the first that matches a layer sets its"
          + " rule, and each must match at least one layer", defaultValue = "{}") Map<String, Object> layers,
      @Param(description = "gamma and alpha1_beta0 compute their layers' outputs without the bias (Captum's"
          + " set_bias_to_zero)", defaultValue = "false") boolean zeroBias,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096)
          int internalBatchSize) {}

  @Override
  public String id() {
    return "lrp";
  }

  @Override
  public String description() {
    return "Layer-wise relevance propagation (Bach et al. 2015), as Captum's LRP: the target's score redistributed"
        + " layer by layer to the input with the epsilon, gamma, alpha1_beta0 or identity rule per layer;"
        + " reports the convergence delta";
  }

  @Override
  public Class<? extends Record> parameters() {
    return Parameters.class;
  }

  @Override
  public Attribution create(AttributionContext context, Record parameters) {
    Parameters p = (Parameters) parameters;
    LrpRules rules = rules(p, pixelBounds(context));
    // Checked when the method is created, so before any step of an experiment runs.
    List<String> layerNames = context.engine().layers().stream()
        .filter(l -> LrpRules.LAYER_OPERATORS.contains(l.opType())).map(LayerTensor::nodeName).distinct().toList();
    try {
      rules.requireEveryRuleUsed(layerNames);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("layers: " + e.getMessage(), e);
    }
    Lrp method = new Lrp(context.engine(), rules, p.internalBatchSize());
    // A model with a node LRP has no rule for (a transformer's LayerNormalization) fails here, naming
    // the node; the graph derived for the check is the one the step runs.
    method.prepare();
    return method;
  }

  /** Each input channel's values at pixels 0 and 1: the bounds the zb rule reads. */
  private static LrpRules.InputBounds pixelBounds(AttributionContext context) {
    int channels = (int) context.engine().channels();
    List<Double> low = new ArrayList<>();
    List<Double> high = new ArrayList<>();
    for (float pixel : new float[] {0f, 1f}) {
      float[] values = new float[channels];
      java.util.Arrays.fill(values, pixel);
      Tensor normalized = Pixels.fromUnitPixels(new Tensor(new long[] {1, channels, 1, 1}, values),
          context.model().preprocessing());
      for (float v : normalized.data()) {
        (pixel == 0f ? low : high).add((double) v);
      }
    }
    return new LrpRules.InputBounds(low, high);
  }

  static LrpRules rules(Parameters p, LrpRules.InputBounds bounds) {
    LrpRules.Rule fallback;
    try {
      fallback = LrpRules.Rule.parse(p.rule(), p.zeroBias());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("rule: " + e.getMessage(), e);
    }
    List<LrpRules.LayerRule> layers = new ArrayList<>();
    for (Map.Entry<String, Object> e : p.layers().entrySet()) {
      String key = "layers." + e.getKey();
      if (!(e.getValue() instanceof String text)) {
        throw new IllegalArgumentException(key + ": expected a rule as text (epsilon [E], gamma [G], alpha1_beta0 or"
            + " identity), got " + e.getValue());
      }
      try {
        layers.add(new LrpRules.LayerRule(e.getKey(), LrpRules.Rule.parse(text, p.zeroBias())));
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(key + ": " + bad.getMessage(), bad);
      }
    }
    boolean zb = fallback.kind() == LrpRules.Kind.ZB
        || layers.stream().anyMatch(l -> l.rule().kind() == LrpRules.Kind.ZB);
    // The bounds only where a rule reads them: they are part of the relevance graph's key.
    return new LrpRules(fallback, layers, zb ? bounds : null);
  }
}

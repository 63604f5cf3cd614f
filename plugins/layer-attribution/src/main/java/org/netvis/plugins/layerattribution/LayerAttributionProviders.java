package org.netvis.plugins.layerattribution;

import java.util.List;
import org.netvis.engine.attribution.AttributionLayer;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.BaselineDistribution;
import org.netvis.engine.attribution.RelevanceRules;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;

/**
 * Registers Captum's layer attribution methods: each attributes the target's score to the units of
 * one hidden tensor ({@link AttributionLayer}) instead of to the input's pixels.
 */
public final class LayerAttributionProviders {
  private LayerAttributionProviders() {}

  private static LayerPass pass(AttributionContext ctx, String layer, int grid,
      org.netvis.engine.attribution.Interpolation interpolation) {
    return new LayerPass(ctx.engine(), AttributionLayer.resolve(ctx.engine(), layer, grid), interpolation);
  }

  private static LayerPass pass(AttributionContext ctx, PathLayerParameters p) {
    return pass(ctx, p.layer(), p.grid(), p.interpolation());
  }

  /** Registers layer gradient x activation. */
  public static final class GradientXActivationProvider implements AttributionProvider {
    @Override
    public String id() {
      return "layer-gradient-x-activation";
    }

    @Override
    public String description() {
      return "Layer gradient x activation (Captum's LayerGradientXActivation): a hidden layer's activations times"
          + " the target score's gradient with respect to them";
    }

    @Override
    public Class<? extends Record> parameters() {
      return LayerParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      LayerParameters p = (LayerParameters) parameters;
      return new LayerGradientXActivation(pass(context, p.layer(), p.grid(), p.interpolation()), p);
    }
  }

  /** Registers layer conductance. */
  public static final class ConductanceProvider implements AttributionProvider {
    @Override
    public String id() {
      return "layer-conductance";
    }

    @Override
    public String description() {
      return "Layer conductance (Dhamdhere et al. 2018; Captum's LayerConductance): the share of the change in the"
          + " target score from the baseline to the input that flows through each unit of a hidden layer";
    }

    @Override
    public Class<? extends Record> parameters() {
      return PathLayerParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      PathLayerParameters p = (PathLayerParameters) parameters;
      return new LayerConductance(context, pass(context, p), p);
    }
  }

  /** Registers internal influence. */
  public static final class InternalInfluenceProvider implements AttributionProvider {
    @Override
    public String id() {
      return "internal-influence";
    }

    @Override
    public String description() {
      return "Internal influence (Leino et al. 2018; Captum's InternalInfluence): the target score's gradient at a"
          + " hidden layer, integrated along the path from the baseline to the input";
    }

    @Override
    public Class<? extends Record> parameters() {
      return PathLayerParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      PathLayerParameters p = (PathLayerParameters) parameters;
      return new InternalInfluence(context, pass(context, p), p);
    }
  }

  /** Registers layer integrated gradients. */
  public static final class IntegratedGradientsProvider implements AttributionProvider {
    @Override
    public String id() {
      return "layer-integrated-gradients";
    }

    @Override
    public String description() {
      return "Layer integrated gradients (Captum's LayerIntegratedGradients): integrated gradients in a hidden"
          + " layer's space, its output moved from the baseline's to the input's while the rest of the model reads"
          + " the input";
    }

    @Override
    public Class<? extends Record> parameters() {
      return PathLayerParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      PathLayerParameters p = (PathLayerParameters) parameters;
      return new LayerIntegratedGradients(context, pass(context, p), p);
    }
  }

  /** Registers layer DeepLIFT. */
  public static final class DeepLiftProvider implements AttributionProvider {
    @Override
    public String id() {
      return "layer-deeplift";
    }

    @Override
    public String description() {
      return "Layer DeepLIFT (Captum's LayerDeepLift, rescale rule): a hidden layer's change from the baseline's"
          + " activations times its DeepLIFT multipliers; reports the convergence delta";
    }

    @Override
    public Class<? extends Record> parameters() {
      return LayerDeepLiftParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      LayerDeepLiftParameters p = (LayerDeepLiftParameters) parameters;
      Baseline baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), context);
      return new LayerDeepLift(context, pass(context, p.layer(), p.grid(), p.interpolation()),
          inputs -> List.of(baseline.ofImages(inputs, context)), p.internalBatchSize());
    }
  }

  /** Registers layer DeepLIFT SHAP. */
  public static final class DeepLiftShapProvider implements AttributionProvider {
    @Override
    public String id() {
      return "layer-deeplift-shap";
    }

    @Override
    public String description() {
      return "Layer DeepLIFT SHAP (Captum's LayerDeepLiftShap): layer DeepLIFT averaged over a distribution of"
          + " baselines; reports the convergence delta against their mean score";
    }

    @Override
    public Class<? extends Record> parameters() {
      return LayerDeepLiftShapParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      LayerDeepLiftShapParameters p = (LayerDeepLiftShapParameters) parameters;
      BaselineDistribution distribution = BaselineDistribution.of(p.baselines(), p.blurSigma(), context);
      return new LayerDeepLift(context, pass(context, p.layer(), p.grid(), p.interpolation()),
          inputs -> distribution.forEachImage(inputs, context), p.internalBatchSize());
    }
  }

  /** Registers layer activation. */
  public static final class ActivationProvider implements AttributionProvider {
    @Override
    public String id() {
      return "layer-activation";
    }

    @Override
    public String description() {
      return "Layer activation (Captum's LayerActivation): a hidden layer's activations, whatever the target";
    }

    @Override
    public Class<? extends Record> parameters() {
      return LayerParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      LayerParameters p = (LayerParameters) parameters;
      return new LayerActivation(pass(context, p.layer(), p.grid(), p.interpolation()), p.internalBatchSize());
    }

    @Override
    public boolean explainsTargets() {
      return false;
    }
  }

  /** Registers layer GradientSHAP. */
  public static final class GradientShapProvider implements AttributionProvider {
    @Override
    public String id() {
      return "layer-gradient-shap";
    }

    @Override
    public String description() {
      return "Layer GradientSHAP (Captum's LayerGradientShap): the expectation, over random baselines and points"
          + " between them and the input, of the target score's gradient at a hidden layer times the layer's change"
          + " from the baseline; reports the convergence delta";
    }

    @Override
    public Class<? extends Record> parameters() {
      return LayerGradientShapParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      LayerGradientShapParameters p = (LayerGradientShapParameters) parameters;
      return new LayerGradientShap(context, pass(context, p.layer(), p.grid(), p.interpolation()), p);
    }
  }

  /** Registers layer LRP. */
  public static final class LrpProvider implements AttributionProvider {
    @Override
    public String id() {
      return "layer-lrp";
    }

    @Override
    public String description() {
      return "Layer LRP (Captum's LayerLRP): the relevance LRP's rules pass from the target's score back to a hidden"
          + " layer; reports the convergence delta, the relevance lost on the way";
    }

    @Override
    public Class<? extends Record> parameters() {
      return LayerLrpParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      LayerLrpParameters p = (LayerLrpParameters) parameters;
      return new LayerLrp(context, pass(context, p.layer(), p.grid(), p.interpolation()),
          RelevanceRules.of(context, p.rule(), p.layers(), p.zeroBias()), p.internalBatchSize());
    }
  }

  /** Registers layer feature ablation. */
  public static final class FeatureAblationProvider implements AttributionProvider {
    @Override
    public String id() {
      return "layer-feature-ablation";
    }

    @Override
    public String description() {
      return "Layer feature ablation (Captum's LayerFeatureAblation): each group of a hidden layer's units set to a"
          + " baseline value while the rest of the model reads the image, its units credited the target score's drop";
    }

    @Override
    public Class<? extends Record> parameters() {
      return LayerAblationParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      LayerAblationParameters p = (LayerAblationParameters) parameters;
      return new LayerFeatureAblation(pass(context, p.layer(), p.grid(), p.interpolation()), p);
    }
  }
}

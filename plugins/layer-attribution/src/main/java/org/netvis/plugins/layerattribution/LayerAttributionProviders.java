package org.netvis.plugins.layerattribution;

import java.util.List;
import org.netvis.engine.attribution.AttributionLayer;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.BaselineDistribution;
import org.netvis.engine.attribution.RelevanceRules;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.DeclaredAttributionProvider;

/**
 * Registers Captum's layer attribution methods: each attributes the target's score to the units of
 * one hidden tensor ({@link AttributionLayer}) instead of to the input's pixels.
 */
public final class LayerAttributionProviders {
  private LayerAttributionProviders() {}

  private static LayerPass pass(AttributionContext ctx, String layer, int grid,
      org.netvis.engine.attribution.Interpolation interpolation) {
    return new LayerPass(ctx.engine(), AttributionLayer.resolve(ctx, layer, grid), interpolation);
  }

  private static LayerPass pass(AttributionContext ctx, PathLayerParameters p) {
    return pass(ctx, p.layer(), p.grid(), p.interpolation());
  }

  /** Registers layer gradient x activation. */
  public static final class GradientXActivationProvider extends DeclaredAttributionProvider<LayerParameters> {
    public GradientXActivationProvider() {
      super("layer-gradient-x-activation",
          "Layer gradient x activation (Captum's LayerGradientXActivation): a hidden layer's activations times the"
              + " target score's gradient with respect to them",
          LayerParameters.class,
          (context, p) -> new LayerGradientXActivation(pass(context, p.layer(), p.grid(), p.interpolation()), p));
    }
  }

  /** Registers layer conductance. */
  public static final class ConductanceProvider extends DeclaredAttributionProvider<PathLayerParameters> {
    public ConductanceProvider() {
      super("layer-conductance",
          "Layer conductance (Dhamdhere et al. 2018; Captum's LayerConductance): the share of the change in the target"
              + " score from the baseline to the input that flows through each unit of a hidden layer",
          PathLayerParameters.class, (context, p) -> new LayerConductance(context, pass(context, p), p));
    }
  }

  /** Registers internal influence. */
  public static final class InternalInfluenceProvider extends DeclaredAttributionProvider<PathLayerParameters> {
    public InternalInfluenceProvider() {
      super("internal-influence",
          "Internal influence (Leino et al. 2018; Captum's InternalInfluence): the target score's gradient at a hidden"
              + " layer, integrated along the path from the baseline to the input",
          PathLayerParameters.class, (context, p) -> new InternalInfluence(context, pass(context, p), p));
    }
  }

  /** Registers layer integrated gradients. */
  public static final class IntegratedGradientsProvider extends DeclaredAttributionProvider<PathLayerParameters> {
    public IntegratedGradientsProvider() {
      super("layer-integrated-gradients",
          "Layer integrated gradients (Captum's LayerIntegratedGradients): integrated gradients in a hidden layer's"
              + " space, its output moved from the baseline's to the input's while the rest of the model reads the"
              + " input",
          PathLayerParameters.class, (context, p) -> new LayerIntegratedGradients(context, pass(context, p), p));
    }
  }

  /** Registers layer DeepLIFT. */
  public static final class DeepLiftProvider extends DeclaredAttributionProvider<LayerDeepLiftParameters> {
    public DeepLiftProvider() {
      super("layer-deeplift",
          "Layer DeepLIFT (Captum's LayerDeepLift, rescale rule): a hidden layer's change from the baseline's"
              + " activations times its DeepLIFT multipliers; reports the convergence delta",
          LayerDeepLiftParameters.class, (context, p) -> {
            Baseline baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), context);
            return new LayerDeepLift(context, pass(context, p.layer(), p.grid(), p.interpolation()),
                inputs -> List.of(baseline.ofImages(inputs, context)), p.internalBatchSize());
          });
    }
  }

  /** Registers layer DeepLIFT SHAP. */
  public static final class DeepLiftShapProvider extends DeclaredAttributionProvider<LayerDeepLiftShapParameters> {
    public DeepLiftShapProvider() {
      super("layer-deeplift-shap",
          "Layer DeepLIFT SHAP (Captum's LayerDeepLiftShap): layer DeepLIFT averaged over a distribution of baselines;"
              + " reports the convergence delta against their mean score",
          LayerDeepLiftShapParameters.class, (context, p) -> {
            BaselineDistribution distribution = BaselineDistribution.of(p.baselines(), p.blurSigma(), context);
            return new LayerDeepLift(context, pass(context, p.layer(), p.grid(), p.interpolation()),
                inputs -> distribution.forEachImage(inputs, context), p.internalBatchSize());
          });
    }
  }

  /** Registers layer activation. */
  public static final class ActivationProvider extends DeclaredAttributionProvider<LayerParameters> {
    public ActivationProvider() {
      super("layer-activation",
          "Layer activation (Captum's LayerActivation): a hidden layer's activations, whatever the target",
          LayerParameters.class,
          (context, p) -> new LayerActivation(pass(context, p.layer(), p.grid(), p.interpolation()),
              p.internalBatchSize()));
    }

    @Override
    public boolean explainsTargets() {
      return false;
    }
  }

  /** Registers layer GradientSHAP. */
  public static final class GradientShapProvider extends DeclaredAttributionProvider<LayerGradientShapParameters> {
    public GradientShapProvider() {
      super("layer-gradient-shap",
          "Layer GradientSHAP (Captum's LayerGradientShap): the expectation, over random baselines and points between"
              + " them and the input, of the target score's gradient at a hidden layer times the layer's change from"
              + " the baseline; reports the convergence delta",
          LayerGradientShapParameters.class,
          (context, p) -> new LayerGradientShap(context, pass(context, p.layer(), p.grid(), p.interpolation()), p));
    }
  }

  /** Registers layer LRP. */
  public static final class LrpProvider extends DeclaredAttributionProvider<LayerLrpParameters> {
    public LrpProvider() {
      super("layer-lrp",
          "Layer LRP (Captum's LayerLRP): the relevance LRP's rules pass from the target's score back to a hidden"
              + " layer; reports the convergence delta, the relevance lost on the way",
          LayerLrpParameters.class,
          (context, p) -> new LayerLrp(context, pass(context, p.layer(), p.grid(), p.interpolation()),
              RelevanceRules.of(context, p.rule(), p.layers(), p.zeroBias()), p.internalBatchSize()));
    }
  }

  /** Registers layer feature ablation. */
  public static final class FeatureAblationProvider extends DeclaredAttributionProvider<LayerAblationParameters> {
    public FeatureAblationProvider() {
      super("layer-feature-ablation",
          "Layer feature ablation (Captum's LayerFeatureAblation): each group of a hidden layer's units set to a"
              + " baseline value while the rest of the model reads the image, its units credited the target score's"
              + " drop",
          LayerAblationParameters.class,
          (context, p) -> new LayerFeatureAblation(pass(context, p.layer(), p.grid(), p.interpolation()), p));
    }
  }
}

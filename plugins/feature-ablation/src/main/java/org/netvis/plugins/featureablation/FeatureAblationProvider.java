package org.netvis.plugins.featureablation;

import org.netvis.engine.spi.DeclaredAttributionProvider;

/** Registers feature ablation. */
public final class FeatureAblationProvider extends DeclaredAttributionProvider<Parameters.Ablation> {
  public FeatureAblationProvider() {
    super("feature-ablation",
        "Feature ablation (Captum's FeatureAblation): the target score's drop when a feature (a grid cell or"
            + " superpixel) takes the baseline's values, one feature at a time",
        Parameters.Ablation.class,
        (context, p) -> new FeatureAblation(Perturbing.of(context, p.features(), p.gridSize(), p.segments(),
            p.compactness(), p.baseline(), p.blurSigma(), p.perturbationsPerEval())));
  }
}

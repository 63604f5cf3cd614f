package org.netvis.plugins.featureablation;

import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;

/** Registers feature ablation. */
public final class FeatureAblationProvider implements AttributionProvider {
  @Override
  public String id() {
    return "feature-ablation";
  }

  @Override
  public String description() {
    return "Feature ablation (Captum's FeatureAblation): the target score's drop when a feature (a grid cell or"
        + " superpixel) takes the baseline's values, one feature at a time";
  }

  @Override
  public Class<? extends Record> parameters() {
    return Parameters.Ablation.class;
  }

  @Override
  public Attribution create(AttributionContext context, Record parameters) {
    Parameters.Ablation p = (Parameters.Ablation) parameters;
    return new FeatureAblation(Perturbing.of(context, p.features(), p.gridSize(), p.segments(), p.compactness(),
        p.baseline(), p.blurSigma(), p.perturbationsPerEval()));
  }
}

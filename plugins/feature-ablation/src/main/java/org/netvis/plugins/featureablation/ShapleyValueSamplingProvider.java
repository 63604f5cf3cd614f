package org.netvis.plugins.featureablation;

import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;

/** Registers Shapley value sampling. */
public final class ShapleyValueSamplingProvider implements AttributionProvider {
  @Override
  public String id() {
    return "shapley-value-sampling";
  }

  @Override
  public String description() {
    return "Shapley value sampling (Castro et al. 2009; Captum's ShapleyValueSampling): each feature's mean"
        + " marginal change of the target score as features are added to the baseline in random orders";
  }

  @Override
  public Class<? extends Record> parameters() {
    return Parameters.Shapley.class;
  }

  @Override
  public Attribution create(AttributionContext context, Record parameters) {
    return new ShapleyValueSampling(context, (Parameters.Shapley) parameters);
  }
}

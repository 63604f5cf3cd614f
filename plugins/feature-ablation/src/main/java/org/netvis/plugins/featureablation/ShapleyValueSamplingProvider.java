package org.netvis.plugins.featureablation;

import org.netvis.engine.spi.DeclaredAttributionProvider;

/** Registers Shapley value sampling. */
public final class ShapleyValueSamplingProvider extends DeclaredAttributionProvider<Parameters.Shapley> {
  public ShapleyValueSamplingProvider() {
    super("shapley-value-sampling",
        "Shapley value sampling (Castro et al. 2009; Captum's ShapleyValueSampling): each feature's mean marginal"
            + " change of the target score as features are added to the baseline in random orders",
        Parameters.Shapley.class, ShapleyValueSampling::new);
  }
}

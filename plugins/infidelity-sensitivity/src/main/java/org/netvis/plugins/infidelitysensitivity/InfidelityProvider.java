package org.netvis.plugins.infidelitysensitivity;

import org.netvis.engine.spi.DeclaredTechniqueProvider;

/** Registers the infidelity metric. */
public final class InfidelityProvider extends DeclaredTechniqueProvider<MetricParameters.Infidelity> {
  public InfidelityProvider() {
    super("infidelity",
        "Infidelity (Yeh et al. 2019; Captum's infidelity): how far each listed method's attribution dotted with a"
            + " random perturbation of the input is from the change of the target score it causes",
        MetricParameters.Infidelity.class, InfidelityStep.class);
  }
}

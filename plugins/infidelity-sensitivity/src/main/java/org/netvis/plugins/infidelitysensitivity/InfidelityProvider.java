package org.netvis.plugins.infidelitysensitivity;

import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/** Registers the infidelity metric. */
public final class InfidelityProvider implements TechniqueProvider {
  @Override
  public String id() {
    return "infidelity";
  }

  @Override
  public String description() {
    return "Infidelity (Yeh et al. 2019; Captum's infidelity): how far each listed method's attribution dotted "
        + "with a random perturbation of the input is from the change of the target score it causes";
  }

  @Override
  public Class<? extends Record> parameters() {
    return MetricParameters.Infidelity.class;
  }

  @Override
  public Class<? extends Technique<?>> technique() {
    return InfidelityStep.class;
  }
}

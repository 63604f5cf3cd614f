package org.netvis.plugins.infidelitysensitivity;

import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/** Registers the sensitivity-max metric. */
public final class SensitivityMaxProvider implements TechniqueProvider {
  @Override
  public String id() {
    return "sensitivity-max";
  }

  @Override
  public String description() {
    return "Maximum sensitivity (Yeh et al. 2019; Captum's sensitivity_max): the largest relative change of each "
        + "listed method's attribution when the input is perturbed uniformly within a radius";
  }

  @Override
  public Class<? extends Record> parameters() {
    return MetricParameters.SensitivityMax.class;
  }

  @Override
  public Class<? extends Technique<?>> technique() {
    return SensitivityMaxStep.class;
  }
}

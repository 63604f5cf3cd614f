package org.netvis.plugins.infidelitysensitivity;

import org.netvis.engine.spi.DeclaredTechniqueProvider;

/** Registers the sensitivity-max metric. */
public final class SensitivityMaxProvider extends DeclaredTechniqueProvider<MetricParameters.SensitivityMax> {
  public SensitivityMaxProvider() {
    super("sensitivity-max",
        "Maximum sensitivity (Yeh et al. 2019; Captum's sensitivity_max): the largest relative change of each listed"
            + " method's attribution when the input is perturbed uniformly within a radius",
        MetricParameters.SensitivityMax.class, SensitivityMaxStep.class);
  }
}

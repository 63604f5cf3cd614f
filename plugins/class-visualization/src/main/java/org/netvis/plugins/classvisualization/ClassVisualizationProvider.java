package org.netvis.plugins.classvisualization;

import org.netvis.engine.spi.DeclaredTechniqueProvider;

/** Registers class visualization. */
public final class ClassVisualizationProvider extends DeclaredTechniqueProvider<ClassVisualizationParameters> {
  public ClassVisualizationProvider() {
    super("class-visualization",
        "Class visualization: from noise, regularized gradient ascent on a class score (Simonyan et al. 2014, Yosinski"
            + " et al. 2015)",
        ClassVisualizationParameters.class, ClassVisualization.class);
  }

  /** It starts from noise. */
  @Override
  public boolean needsInputs() {
    return false;
  }
}

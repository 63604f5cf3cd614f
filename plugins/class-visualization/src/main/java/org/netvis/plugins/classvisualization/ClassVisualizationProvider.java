package org.netvis.plugins.classvisualization;

import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/** Registers class visualization. */
public final class ClassVisualizationProvider implements TechniqueProvider {
  @Override
  public String id() {
    return "class-visualization";
  }

  @Override
  public String description() {
    return "Class visualization: from noise, regularized gradient ascent on a class score (Simonyan et al. 2014, "
        + "Yosinski et al. 2015)";
  }

  @Override
  public Class<? extends Record> parameters() {
    return ClassVisualizationParameters.class;
  }

  @Override
  public Class<? extends Technique<?>> technique() {
    return ClassVisualization.class;
  }

  /** It starts from noise. */
  @Override
  public boolean needsInputs() {
    return false;
  }
}

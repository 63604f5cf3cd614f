package org.netvis.plugins.deletioninsertion;

import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/** Registers the deletion and insertion metrics. */
public final class DeletionInsertionProvider implements TechniqueProvider {
  @Override
  public String id() {
    return "deletion-insertion";
  }

  @Override
  public String description() {
    return "Deletion and insertion (Petsiuk et al. 2018, RISE): how fast the predicted class's probability falls as"
        + " the most attributed pixels are removed, and rises as they are restored into a blurred image";
  }

  @Override
  public Class<? extends Record> parameters() {
    return DeletionInsertionParameters.class;
  }

  @Override
  public Class<? extends Technique<?>> technique() {
    return DeletionInsertionStep.class;
  }
}

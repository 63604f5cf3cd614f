package org.netvis.plugins.deletioninsertion;

import org.netvis.engine.spi.DeclaredTechniqueProvider;

/** Registers the deletion and insertion metrics. */
public final class DeletionInsertionProvider extends DeclaredTechniqueProvider<DeletionInsertionParameters> {
  public DeletionInsertionProvider() {
    super("deletion-insertion",
        "Deletion and insertion (Petsiuk et al. 2018, RISE): how fast the predicted class's probability falls as the"
            + " most attributed pixels are removed, and rises as they are restored into a blurred image",
        DeletionInsertionParameters.class, DeletionInsertionStep.class);
  }
}

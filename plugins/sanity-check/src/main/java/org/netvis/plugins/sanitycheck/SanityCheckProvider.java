package org.netvis.plugins.sanitycheck;

import org.netvis.engine.spi.DeclaredTechniqueProvider;

/** Registers the model-randomization sanity check. */
public final class SanityCheckProvider extends DeclaredTechniqueProvider<SanityCheckParameters> {
  public SanityCheckProvider() {
    super("sanity-check",
        "Sanity check (Adebayo et al. 2018): attributions as the model's layers are randomized from the logits down;"
            + " methods whose maps barely change are flagged",
        SanityCheckParameters.class, SanityCheckStep.class);
  }

  /** It compares maps across progressively randomized models, not one image at a time. */
  @Override
  public boolean perImage() {
    return false;
  }
}

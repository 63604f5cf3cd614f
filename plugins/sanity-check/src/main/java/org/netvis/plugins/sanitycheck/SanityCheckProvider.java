package org.netvis.plugins.sanitycheck;

import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/** Registers the model-randomization sanity check. */
public final class SanityCheckProvider implements TechniqueProvider {
  @Override
  public String id() {
    return "sanity-check";
  }

  @Override
  public String description() {
    return "Sanity check (Adebayo et al. 2018): attributions as the model's layers are randomized from the logits"
        + " down; methods whose maps barely change are flagged";
  }

  @Override
  public Class<? extends Record> parameters() {
    return SanityCheckParameters.class;
  }

  @Override
  public Class<? extends Technique<?>> technique() {
    return SanityCheckStep.class;
  }

  /** It compares maps across progressively randomized models, not one image at a time. */
  @Override
  public boolean perImage() {
    return false;
  }
}

package org.netvis.plugins.saliency;

import org.netvis.engine.spi.DeclaredTechniqueProvider;

/** Registers the saliency technique. */
public final class SaliencyProvider extends DeclaredTechniqueProvider<SaliencyParameters> {
  public SaliencyProvider() {
    super("saliency",
        "Saliency maps: max over colour channels of |d objective / d image|, which pixels decide the class",
        SaliencyParameters.class, Saliency.class);
  }
}

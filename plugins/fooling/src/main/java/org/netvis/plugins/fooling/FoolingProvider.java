package org.netvis.plugins.fooling;

import org.netvis.engine.spi.DeclaredTechniqueProvider;

/** Registers the fooling-image technique. */
public final class FoolingProvider extends DeclaredTechniqueProvider<FoolingParameters> {
  public FoolingProvider() {
    super("fooling",
        "Fooling images: normalized gradient ascent on a target class score until the model predicts it",
        FoolingParameters.class, Fooling.class);
  }
}

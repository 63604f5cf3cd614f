package org.netvis.plugins.fooling;

import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/** Registers the fooling-image technique. */
public final class FoolingProvider implements TechniqueProvider {
  @Override
  public String id() {
    return "fooling";
  }

  @Override
  public String description() {
    return "Fooling images: normalized gradient ascent on a target class score until the model predicts it";
  }

  @Override
  public Class<? extends Record> parameters() {
    return FoolingParameters.class;
  }

  @Override
  public Class<? extends Technique<?>> technique() {
    return Fooling.class;
  }
}

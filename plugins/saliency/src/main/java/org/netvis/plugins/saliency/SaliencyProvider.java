package org.netvis.plugins.saliency;

import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/** Registers the saliency technique. */
public final class SaliencyProvider implements TechniqueProvider {
  @Override
  public String id() {
    return "saliency";
  }

  @Override
  public String description() {
    return "Saliency maps: max over colour channels of |d objective / d image|, which pixels decide the class";
  }

  @Override
  public Class<? extends Record> parameters() {
    return SaliencyParameters.class;
  }

  @Override
  public Class<? extends Technique<?>> technique() {
    return Saliency.class;
  }
}

package org.netvis.engine.spi;

import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.runtime.Engine;

/**
 * What an attribution method may use: the model's engine and descriptor, a seed for its randomness,
 * and the other methods by id.
 */
public interface AttributionContext {

  Engine engine();

  ResolvedModel model();

  /** The seed of the step the method runs in; per-image randomness derives from it. */
  long seed();

  /** Every attribution method netvis knows, built-in or from plugin jars. */
  Attributions attributions();
}

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

  /**
   * The data-set index of input image {@code i} of an {@code attribute} call, for per-image seeds
   * ({@code Seeds.forItem(seed(), itemIndex(i))}); see {@link StepContext#itemIndex}.
   */
  default int itemIndex(int i) {
    return i;
  }

  /** Every attribution method netvis knows, built-in or from plugin jars. */
  Attributions attributions();

  /**
   * Records what a method settled on against the model (the tensor that its default layer or a
   * module's name stands for) under {@code key} in the step's results.json, so that a result says
   * what it explains; a context that keeps no results (a parameter check) ignores it.
   */
  default void settled(String key, Object value) {}
}

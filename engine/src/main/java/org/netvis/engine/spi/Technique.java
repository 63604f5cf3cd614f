package org.netvis.engine.spi;

/**
 * One visualization or attribution technique. Implementations are created by Guice from their
 * provider's module, so they may inject what they need.
 *
 * @param <P> the technique's parameter record; every component carries a {@link Param}
 */
public interface Technique<P extends Record> {

  /** Runs the technique on the step's inputs and returns what goes into its results.json. */
  StepResult run(StepContext context, P parameters) throws Exception;

  /**
   * Checks the parameters against the model (layer names, channel counts) before any step of the
   * experiment runs; throws {@link IllegalArgumentException} whose message starts with the key.
   */
  default void check(org.netvis.engine.runtime.Engine engine, P parameters) {}
}

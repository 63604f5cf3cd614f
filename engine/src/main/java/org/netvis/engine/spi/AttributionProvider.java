package org.netvis.engine.spi;

/**
 * Registers an attribution method with netvis, listed in
 * {@code META-INF/services/org.netvis.engine.spi.AttributionProvider} and discovered like techniques
 * (classpath and plugin jars). Every method is also a step ({@code technique: ID}) that writes its
 * attributions, figures and per-image figures, and can be found by id by techniques that use
 * attributions (noise tunnel, deletion/insertion, sanity checks) through {@link Attributions}.
 */
public interface AttributionProvider {

  /** The id, as in experiment files; lowercase words joined by '-'. */
  String id();

  /** One line on the method, with its reference. */
  String description();

  /** The parameter record type; its components carry {@link Param}. */
  Class<? extends Record> parameters();

  /** The method for one model, with bound parameters. */
  Attribution create(AttributionContext context, Record parameters);

  /** Whether the sign of an attribution means something (then figures use a diverging colour map). */
  default boolean signed() {
    return true;
  }

  /**
   * Whether the method explains each image's target class; false where its parameters name what it
   * explains instead (a hidden unit), so that the step does not report the label as its target.
   */
  default boolean explainsTargets() {
    return true;
  }
}

package org.netvis.engine.spi;

import com.google.inject.Module;

/**
 * Registers a technique with netvis. Listed in {@code META-INF/services/org.netvis.engine.spi.TechniqueProvider}
 * and discovered with {@link java.util.ServiceLoader}, from the classpath or from plugin jars.
 */
public interface TechniqueProvider {

  /** The id used in experiment files ({@code technique: saliency}); lowercase words joined by '-'. */
  String id();

  /** One line on what the technique shows. */
  String description();

  /** The parameter record type; its components carry {@link Param}. */
  Class<? extends Record> parameters();

  /** The technique class Guice instantiates. */
  Class<? extends Technique<?>> technique();

  /**
   * Whether the technique works on the experiment's input images; one that makes its own (class
   * visualization from noise) returns false, and an experiment of only such steps needs no inputs.
   */
  default boolean needsInputs() {
    return true;
  }

  /**
   * Whether each input image's results depend on that image alone, so that a data set may be split
   * across machines ({@code netvis spark}); false for techniques that make their own images or
   * compare across the whole set (sanity checks, robustness curves).
   */
  default boolean perImage() {
    return needsInputs();
  }

  /** The plugin's own bindings (none by default). */
  default Module module() {
    return binder -> { };
  }
}

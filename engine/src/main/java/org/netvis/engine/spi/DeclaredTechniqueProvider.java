package org.netvis.engine.spi;

import java.util.Objects;

/**
 * A {@link TechniqueProvider} given by its answers: a subclass's public no-argument constructor
 * (what {@link java.util.ServiceLoader} calls) passes the id, the description, the parameter record
 * type and the technique class Guice builds. The other answers ({@link #needsInputs()},
 * {@link #perImage()}, {@link #module()}) are overridden where they differ from the defaults.
 *
 * @param <P> the parameter record type, the one the technique takes
 */
public abstract class DeclaredTechniqueProvider<P extends Record> extends DeclaredProvider<P>
    implements TechniqueProvider {
  private final Class<? extends Technique<P>> technique;

  protected DeclaredTechniqueProvider(String id, String description, Class<P> parameters,
      Class<? extends Technique<P>> technique) {
    super(id, description, parameters);
    this.technique = Objects.requireNonNull(technique, "technique");
  }

  @Override
  public final Class<? extends Technique<?>> technique() {
    return technique;
  }
}

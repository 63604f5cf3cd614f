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
public abstract class DeclaredTechniqueProvider<P extends Record> implements TechniqueProvider {
  private final String id;
  private final String description;
  private final Class<P> parameters;
  private final Class<? extends Technique<P>> technique;

  protected DeclaredTechniqueProvider(String id, String description, Class<P> parameters,
      Class<? extends Technique<P>> technique) {
    this.id = Objects.requireNonNull(id, "id");
    this.description = Objects.requireNonNull(description, "description");
    this.parameters = Objects.requireNonNull(parameters, "parameters");
    this.technique = Objects.requireNonNull(technique, "technique");
  }

  @Override
  public final String id() {
    return id;
  }

  @Override
  public final String description() {
    return description;
  }

  @Override
  public final Class<P> parameters() {
    return parameters;
  }

  @Override
  public final Class<? extends Technique<?>> technique() {
    return technique;
  }
}

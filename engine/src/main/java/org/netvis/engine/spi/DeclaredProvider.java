package org.netvis.engine.spi;

import java.util.Objects;

/**
 * What {@link DeclaredAttributionProvider} and {@link DeclaredTechniqueProvider} answer alike, from
 * their constructors: the id, the description and the parameter record type.
 *
 * @param <P> the parameter record type
 */
abstract class DeclaredProvider<P extends Record> {
  private final String id;
  private final String description;
  private final Class<P> parameters;

  DeclaredProvider(String id, String description, Class<P> parameters) {
    this.id = Objects.requireNonNull(id, "id");
    this.description = Objects.requireNonNull(description, "description");
    this.parameters = Objects.requireNonNull(parameters, "parameters");
  }

  public final String id() {
    return id;
  }

  public final String description() {
    return description;
  }

  public final Class<P> parameters() {
    return parameters;
  }
}

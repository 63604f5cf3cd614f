package org.netvis.engine.spi;

import java.util.Objects;

/**
 * An {@link AttributionProvider} given by its answers: a subclass's public no-argument constructor
 * (what {@link java.util.ServiceLoader} calls) passes the id, the description, the parameter record
 * type and how to make the method from bound parameters of that type. {@link #signed()} and
 * {@link #explainsTargets()} are overridden where they differ from the defaults.
 *
 * @param <P> the parameter record type
 */
public abstract class DeclaredAttributionProvider<P extends Record> implements AttributionProvider {

  /** Makes the method for one model from its bound parameters. */
  @FunctionalInterface
  public interface Factory<P> {
    Attribution create(AttributionContext context, P parameters);
  }

  private final String id;
  private final String description;
  private final Class<P> parameters;
  private final Factory<P> factory;

  protected DeclaredAttributionProvider(String id, String description, Class<P> parameters, Factory<P> factory) {
    this.id = Objects.requireNonNull(id, "id");
    this.description = Objects.requireNonNull(description, "description");
    this.parameters = Objects.requireNonNull(parameters, "parameters");
    this.factory = Objects.requireNonNull(factory, "factory");
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
  public final Attribution create(AttributionContext context, Record bound) {
    return factory.create(context, parameters.cast(bound));
  }
}

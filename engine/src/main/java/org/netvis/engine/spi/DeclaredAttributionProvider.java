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
public abstract class DeclaredAttributionProvider<P extends Record> extends DeclaredProvider<P>
    implements AttributionProvider {

  /** Makes the method for one model from its bound parameters. */
  @FunctionalInterface
  public interface Factory<P> {
    Attribution create(AttributionContext context, P parameters);
  }

  private final Factory<P> factory;

  protected DeclaredAttributionProvider(String id, String description, Class<P> parameters, Factory<P> factory) {
    super(id, description, parameters);
    this.factory = Objects.requireNonNull(factory, "factory");
  }

  @Override
  public final Attribution create(AttributionContext context, Record bound) {
    return factory.create(context, parameters().cast(bound));
  }
}

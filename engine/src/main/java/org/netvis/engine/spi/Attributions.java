package org.netvis.engine.spi;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The attribution methods netvis knows, found by id. */
public interface Attributions {

  List<String> ids();

  Optional<AttributionProvider> find(String id);

  /**
   * The method {@code id} with parameters given as experiment-file values (snake_case keys, defaults
   * filled in). Problems name {@code keyPath}, the key, the value and what was expected.
   *
   * @throws IllegalArgumentException for an unknown id or bad parameters
   */
  Attribution create(String id, Map<String, Object> parameters, AttributionContext context, String keyPath);
}

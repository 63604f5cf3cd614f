package org.netvis.engine.spi;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The attribution methods netvis knows, found by id. */
public interface Attributions {

  List<String> ids();

  /** The error for an unknown method id at {@code key}: the id, the known one a slip away, every known id. */
  default IllegalArgumentException unknownMethod(String key, String id) {
    return new IllegalArgumentException(key + ": unknown attribution method '" + id + "'"
        + NearestNames.didYouMean(id, ids()) + "; expected one of " + ids());
  }

  Optional<AttributionProvider> find(String id);

  /**
   * The method {@code id} with parameters given as experiment-file values (snake_case keys, defaults
   * filled in). Problems name {@code keyPath}, the key, the value and what was expected.
   *
   * @throws IllegalArgumentException for an unknown id or bad parameters
   */
  Attribution create(String id, Map<String, Object> parameters, AttributionContext context, String keyPath);

  /**
   * Method {@code id} as a technique that builds on attributions lists it: its parameters are the
   * entry {@code id} of that technique's {@code method_params} (a map keyed by method id), and
   * problems name {@code method_params.ID}.
   */
  @SuppressWarnings("unchecked")
  default Attribution createListed(String id, Map<String, Object> methodParams, AttributionContext context) {
    Object params = methodParams.get(id);
    if (params != null && !(params instanceof Map<?, ?>)) {
      throw new IllegalArgumentException("method_params." + id + ": " + params + " is not a map of " + id
          + "'s parameters (expected e.g. {layer: NAME})");
    }
    return create(id, params == null ? Map.of() : (Map<String, Object>) params, context, "method_params." + id);
  }

  /**
   * Checks a technique's listed methods before any step runs: each is created (ids known, parameters
   * valid against the model), and every {@code method_params} entry belongs to a listed method, since
   * one that does not would silently change nothing.
   */
  default void checkListed(List<String> ids, Map<String, Object> methodParams, AttributionContext context) {
    for (String key : methodParams.keySet()) {
      if (!ids.contains(key)) {
        throw new IllegalArgumentException("method_params." + key + ": '" + key + "'" + NearestNames.didYouMean(key, ids)
            + " is not one of the methods " + ids + " (expected parameters for a listed method)");
      }
    }
    for (String id : ids) {
      if (find(id).isEmpty()) {
        throw unknownMethod("methods", id);
      }
      createListed(id, methodParams, context);
    }
  }
}

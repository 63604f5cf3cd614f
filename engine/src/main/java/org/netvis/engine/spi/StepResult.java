package org.netvis.engine.spi;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a step reports: JSON-serializable values (numbers, strings, lists, maps, records) written to
 * the step's results.json. Files the step wrote into its output directory are listed by the runner.
 */
public record StepResult(Map<String, Object> values) {
  public StepResult {
    values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  public static StepResult of(Map<String, Object> values) {
    return new StepResult(values);
  }
}

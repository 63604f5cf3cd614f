package org.netvis.engine.experiment;

/** One problem in an experiment file: where (key path such as {@code steps[1].params.target}) and what. */
public record ExperimentError(String path, String message) {
  @Override
  public String toString() {
    return path.isEmpty() ? message : path + ": " + message;
  }
}

package org.netvis.engine.experiment;

import java.nio.file.Path;
import java.util.List;

/** An experiment file that cannot be run; lists every problem found, each with its key path. */
public final class ExperimentException extends RuntimeException {
  private final Path file;
  private final List<ExperimentError> errors;

  public ExperimentException(Path file, List<ExperimentError> errors) {
    super(format(file, errors));
    this.file = file;
    this.errors = List.copyOf(errors);
  }

  public Path file() {
    return file;
  }

  public List<ExperimentError> errors() {
    return errors;
  }

  private static String format(Path file, List<ExperimentError> errors) {
    if (errors.size() == 1) {
      return file + ": " + errors.get(0);
    }
    StringBuilder b = new StringBuilder(file + ": " + errors.size() + " problems:");
    for (ExperimentError e : errors) {
      b.append("\n  ").append(e);
    }
    return b.toString();
  }
}

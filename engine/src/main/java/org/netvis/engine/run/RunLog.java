package org.netvis.engine.run;

import java.nio.file.Path;

/**
 * Copies the log to a run's run.log while it runs. The engine stays independent of the logging
 * backend; the command line supplies a Logback implementation.
 */
public interface RunLog {
  /** Starts copying everything logged to {@code file}; closing stops it. */
  AutoCloseable attach(Path file);

  RunLog NONE = file -> () -> { };
}

package org.netvis.engine.run;

/** A run cannot start (output directory taken, locked, not writable); nothing was written. */
public final class RunException extends RuntimeException {
  public RunException(String message) {
    super(message);
  }

  public RunException(String message, Throwable cause) {
    super(message, cause);
  }
}

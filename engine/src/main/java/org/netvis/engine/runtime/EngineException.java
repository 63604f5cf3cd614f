package org.netvis.engine.runtime;

/** The engine cannot do what was asked; the message says what and what was expected. */
public class EngineException extends RuntimeException {
  public EngineException(String message) {
    super(message);
  }

  public EngineException(String message, Throwable cause) {
    super(message, cause);
  }
}

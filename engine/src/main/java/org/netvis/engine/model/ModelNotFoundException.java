package org.netvis.engine.model;

/** A model id or file could not be resolved; the message lists every place looked and how to obtain it. */
public final class ModelNotFoundException extends RuntimeException {
  public ModelNotFoundException(String message) {
    super(message);
  }
}

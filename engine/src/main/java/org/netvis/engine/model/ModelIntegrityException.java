package org.netvis.engine.model;

/** A model file's sha256 matches none of the values its descriptor knows. */
public final class ModelIntegrityException extends RuntimeException {
  public ModelIntegrityException(String message) {
    super(message);
  }
}

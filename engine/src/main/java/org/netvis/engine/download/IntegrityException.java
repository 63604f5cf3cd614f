package org.netvis.engine.download;

/** A downloaded or found file's sha256 matches none of the values its descriptor knows. */
public final class IntegrityException extends RuntimeException {
  public IntegrityException(String message) {
    super(message);
  }
}

package org.netvis.engine.graph;

/** The forward graph cannot be turned into a gradient graph; the message names the node and why. */
public class GraphBuildException extends RuntimeException {
  public GraphBuildException(String message) {
    super(message);
  }

  public GraphBuildException(String message, Throwable cause) {
    super(message, cause);
  }
}

package org.netvis.engine.graph;

import java.util.Collection;

/** An operator on the gradient path has no gradient rule. */
public final class UnsupportedOperatorException extends GraphBuildException {
  private final String opType;
  private final String nodeName;

  public UnsupportedOperatorException(String opType, String nodeName, Collection<String> supported) {
    super("operator " + opType + " (node '" + nodeName + "') has no gradient rule in netvis; supported operators: "
        + String.join(", ", supported.stream().sorted().toList()));
    this.opType = opType;
    this.nodeName = nodeName;
  }

  public String opType() {
    return opType;
  }

  public String nodeName() {
    return nodeName;
  }
}

package org.netvis.engine.run;

import java.nio.file.Path;

/** How a run ended and where its directory is. */
public record RunOutcome(Path directory, String status, String reason) {
  public boolean succeeded() {
    return "succeeded".equals(status);
  }
}

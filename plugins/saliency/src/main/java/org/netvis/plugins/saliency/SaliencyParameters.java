package org.netvis.plugins.saliency;

import org.netvis.engine.spi.Param;

/** Parameters of the saliency technique. */
public record SaliencyParameters(
    @Param(description = "what to differentiate: class_score (the sum of the correct-class scores, as in the "
        + "assignment) or cross_entropy (the mean cross-entropy loss)", defaultValue = "class_score")
    Objective objective,
    @Param(description = "images per batched gradient call", defaultValue = "32", min = 1, max = 4096)
    int batchSize) {

  /** The scalar whose input gradient the map shows. */
  public enum Objective { CLASS_SCORE, CROSS_ENTROPY }
}

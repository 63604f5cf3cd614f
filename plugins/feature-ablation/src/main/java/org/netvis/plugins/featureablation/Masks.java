package org.netvis.plugins.featureablation;

import java.nio.file.Path;
import org.netvis.engine.spi.AttributionContext;

/** The feature mask a method's parameters name, at the model's input size. */
final class Masks {
  private Masks() {}

  static FeatureMask of(String features, int gridSize, AttributionContext ctx) {
    int h = (int) ctx.engine().inputHeight();
    int w = (int) ctx.engine().inputWidth();
    if (features.equals("grid")) {
      return FeatureMask.grid(h, w, gridSize);
    }
    if (!features.endsWith(".npy")) {
      throw new IllegalArgumentException("features: '" + features + "' is not grid or an .npy path");
    }
    return FeatureMask.read("features", Path.of(features), h, w);
  }
}

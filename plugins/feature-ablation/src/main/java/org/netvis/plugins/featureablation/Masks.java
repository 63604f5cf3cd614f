package org.netvis.plugins.featureablation;

import java.nio.file.Path;
import java.util.function.Function;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Tensor;

/** The feature masks a method's parameters name, at the model's input size: fixed, or each image's own. */
final class Masks {
  private Masks() {}

  static Function<Tensor, FeatureMask> of(String features, int gridSize, int segments, double compactness,
      AttributionContext ctx) {
    int h = (int) ctx.engine().inputHeight();
    int w = (int) ctx.engine().inputWidth();
    switch (features) {
      case "grid" -> {
        FeatureMask grid = FeatureMask.grid(h, w, gridSize);
        return inputs -> grid;
      }
      case "slic" -> {
        if (ctx.engine().channels() != 3) {
          throw new IllegalArgumentException("features: slic segments RGB images, and the model takes "
              + ctx.engine().channels() + " channels");
        }
        return inputs -> FeatureMask.slic(inputs, ctx.model().preprocessing(), segments, compactness);
      }
      default -> {
        if (!features.endsWith(".npy")) {
          throw new IllegalArgumentException("features: '" + features + "' is not grid, slic or an .npy path");
        }
        FeatureMask file = FeatureMask.read("features", Path.of(features), h, w);
        return inputs -> file;
      }
    }
  }
}

package org.netvis.plugins.occlusion;

import java.util.List;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;

/** Registers occlusion. */
public final class OcclusionProvider extends DeclaredAttributionProvider<OcclusionProvider.Parameters> {
  public OcclusionProvider() {
    super("occlusion",
        "Occlusion (Zeiler and Fergus 2014): the drop of the target score when a sliding window is set to the"
            + " baseline, averaged over the windows covering each element (forward passes only)",
        Parameters.class, (context, parameters) -> new Occlusion(context.engine(), parameters));
  }

  /** Parameters of occlusion, as Captum's sliding_window_shapes, strides and baselines. */
  public record Parameters(
      @Param(description = "window shape (channels, height, width)", defaultValue = "[3, 15, 15]", min = 1)
      List<Integer> window,
      @Param(description = "steps of the window along (channels, height, width)", defaultValue = "[3, 8, 8]", min = 1)
      List<Integer> strides,
      @Param(description = "the value occluded elements take, in the normalized input space", defaultValue = "0.0")
      double baseline,
      @Param(description = "occluded images per forward pass", defaultValue = "64", min = 1, max = 100000)
      int perturbationsPerEval) {

    public Parameters {
      if (window.size() != 3 || strides.size() != 3) {
        throw new IllegalArgumentException("window and strides need 3 values (channels, height, width), got "
            + window + " and " + strides);
      }
    }
  }
}

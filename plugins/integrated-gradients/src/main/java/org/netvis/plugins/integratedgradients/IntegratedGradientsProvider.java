package org.netvis.plugins.integratedgradients;

import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;

/** Registers integrated gradients. */
public final class IntegratedGradientsProvider
    extends DeclaredAttributionProvider<IntegratedGradientsProvider.Parameters> {
  public IntegratedGradientsProvider() {
    super("integrated-gradients",
        "Integrated gradients (Sundararajan et al. 2017): (input - baseline) times the gradient averaged along the"
            + " straight path between them; reports the convergence delta",
        Parameters.class, IntegratedGradients::new);
  }

  /** Parameters of integrated gradients, with Captum's defaults. */
  public record Parameters(
      @Param(description = "the reference input: zeros (in the normalized space, Captum's default), black (pixels 0),"
          + " blur (the image blurred with blur_sigma), uniform (uniform pixels from the step's seed, per image),"
          + " or a path to an .npy of shape (C, H, W) or (N, C, H, W) in the normalized space",
          defaultValue = "zeros") String baseline,
      @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
          exclusiveMin = true, max = 1000) double blurSigma,
      @Param(description = "points on the path from the baseline to the input", defaultValue = "50", min = 1,
          max = 10000) int steps,
      @Param(description = "how the path integral is approximated", defaultValue = "gausslegendre")
      PathRule method,
      @Param(description = "path points per gradient call (images x steps are split into batches of this size)",
          defaultValue = "64", min = 1, max = 100000) int internalBatchSize) {

    /** Captum's approximation methods. */
    public enum Method { GAUSSLEGENDRE, RIEMANN_LEFT, RIEMANN_RIGHT, RIEMANN_MIDDLE, RIEMANN_TRAPEZOID }
  }
}

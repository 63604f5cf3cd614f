package org.netvis.plugins.gradientshap;

import java.util.List;
import org.netvis.engine.attribution.GradientShapDraws;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;

/** Registers GradientSHAP. */
public final class GradientShapProvider extends DeclaredAttributionProvider<GradientShapProvider.Parameters> {
  public GradientShapProvider() {
    super("gradient-shap",
        "GradientSHAP (Lundberg and Lee 2017; Erion et al. 2021's expected gradients): the expectation of (input -"
            + " baseline) times the gradient at a random point between them, over random baselines",
        Parameters.class, GradientShap::new);
  }

  /** Parameters of GradientSHAP, with Captum's names and defaults where Captum has them. */
  public record Parameters(
      @Param(description = GradientShapDraws.BASELINES, defaultValue = "[uniform]") List<String> baselines,
      @Param(description = GradientShapDraws.BLUR_SIGMA, defaultValue = "5.0", min = 0, exclusiveMin = true, max = 1000)
      double blurSigma,
      @Param(description = GradientShapDraws.N_SAMPLES, defaultValue = "5", min = 1, max = 100000) int nSamples,
      @Param(description = GradientShapDraws.STDEVS, defaultValue = "0.0", min = 0, max = 1e6) double stdevs,
      @Param(description = "draws per gradient call", defaultValue = "64", min = 1, max = 100000)
      int internalBatchSize) {}
}

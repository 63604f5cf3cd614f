package org.netvis.plugins.deeplift;

import java.util.List;
import org.netvis.engine.attribution.BaselineDistribution;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;

/** Registers DeepLIFT SHAP: DeepLIFT averaged over a distribution of baselines (Captum's DeepLiftShap). */
public final class DeepLiftShapProvider extends DeclaredAttributionProvider<DeepLiftShapProvider.Parameters> {
  public DeepLiftShapProvider() {
    super("deeplift-shap",
        "DeepLIFT SHAP (Lundberg and Lee 2017): DeepLIFT's attributions averaged over a distribution of baselines;"
            + " reports the convergence delta against their mean score",
        Parameters.class, (context, p) -> {
          BaselineDistribution distribution = BaselineDistribution.of(p.baselines(), p.blurSigma(), context);
          return new DeepLift(context.engine(), inputs -> distribution.forEachImage(inputs, context),
              p.internalBatchSize());
        });
  }

  /** Parameters of DeepLIFT SHAP. */
  public record Parameters(
      @Param(description = BaselineDistribution.ALL, defaultValue = "[zeros, black, blur, uniform]")
      List<String> baselines,
      @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
          exclusiveMin = true, max = 1000) double blurSigma,
      @Param(description = "(image, baseline) pairs per gradient call", defaultValue = "16", min = 1, max = 100000)
      int internalBatchSize) {}
}

package org.netvis.plugins.noisetunnel;

import java.util.Map;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;

/** Registers the noise tunnel (SmoothGrad and its variants) over any attribution method found by id. */
public final class NoiseTunnelProvider extends DeclaredAttributionProvider<NoiseTunnelProvider.Parameters> {
  private static final String ID = "noise-tunnel";

  public NoiseTunnelProvider() {
    super(ID,
        "Noise tunnel: any attribution method averaged over noisy copies of the input (SmoothGrad, Smilkov et al."
            + " 2017; VarGrad, Adebayo et al. 2018)",
        Parameters.class, (context, p) -> {
          if (p.base().equals(ID)) {
            throw new IllegalArgumentException("base: a noise tunnel cannot wrap itself");
          }
          if (context.attributions().find(p.base()).isEmpty()) {
            throw context.attributions().unknownMethod("base", p.base());
          }
          Attribution base = context.attributions().create(p.base(), p.baseParams(), context, "base_params");
          return new NoiseTunnel(context.seed(), context::itemIndex, base, p,
              context.engine().gradientCallSize(p.internalBatchSize()));
        });
  }

  /** Parameters of the noise tunnel. */
  public record Parameters(
      @Param(description = "the id of the attribution method to smooth (any method netvis knows, plugin jars included)",
          defaultValue = "saliency") String base,
      @Param(description = "parameters of the base method, as in its own step", defaultValue = "{}")
      Map<String, Object> baseParams,
      @Param(description = "noisy copies per image", defaultValue = "50", min = 1, max = 100000) int samples,
      @Param(description = "standard deviation of the Gaussian noise, absolute, in the normalized input space;"
          + " 0 = use noise_level", defaultValue = "0", min = 0, max = 1e6) double stdev,
      @Param(description = "standard deviation as a fraction of each image's value range (max - min), the"
          + " SmoothGrad paper's 10-20%; used when stdev is 0", defaultValue = "0.15", min = 0, exclusiveMin = true,
          max = 10) double noiseLevel,
      @Param(description = "how the samples' attributions combine: smoothgrad (mean), smoothgrad_sq (mean of"
          + " squares), vargrad (variance)", defaultValue = "smoothgrad") Type type,
      @Param(description = "noisy copies per call of the base method", defaultValue = "16", min = 1, max = 100000)
      int internalBatchSize) {

    /** Captum's NoiseTunnel types. */
    public enum Type { SMOOTHGRAD, SMOOTHGRAD_SQ, VARGRAD }
  }
}

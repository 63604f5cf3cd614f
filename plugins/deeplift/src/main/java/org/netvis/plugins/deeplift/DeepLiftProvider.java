package org.netvis.plugins.deeplift;

import java.util.List;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;

/** Registers DeepLIFT. */
public final class DeepLiftProvider extends DeclaredAttributionProvider<DeepLiftProvider.Parameters> {
  public DeepLiftProvider() {
    super("deeplift",
        "DeepLIFT (Shrikumar et al. 2017) with the rescale rule, as Captum's DeepLift: (input - baseline) times"
            + " multipliers that replace each ReLU's, sigmoid's, tanh's and max pool's gradient by its output's"
            + " difference over its input's; reports the convergence delta",
        Parameters.class, (context, p) -> {
          // Checked when the method is created, so before any step of an experiment runs.
          Baseline baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), context);
          return new DeepLift(context.engine(), inputs -> List.of(baseline.ofImages(inputs, context)),
              p.internalBatchSize());
        });
  }

  /** Parameters of DeepLIFT, with Captum's defaults. */
  public record Parameters(
      @Param(description = "the reference input: zeros (in the normalized space, Captum's default), black (pixels 0),"
          + " blur (the image blurred with blur_sigma), uniform (uniform pixels from the step's seed, per image),"
          + " or a path to an .npy of shape (C, H, W) or (N, C, H, W) in the normalized space",
          defaultValue = "zeros") String baseline,
      @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
          exclusiveMin = true, max = 1000) double blurSigma,
      @Param(description = "images per gradient call (each runs beside its reference)", defaultValue = "16", min = 1,
          max = 100000) int internalBatchSize) {}
}

package org.netvis.plugins.saliency;

import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;
import org.netvis.engine.tensor.Tensor;

/**
 * Saliency as an attribution method (Captum's Saliency): the gradient of the target score, its
 * absolute value by default, (N, C, H, W). The {@code saliency} step keeps the assignment's 2-D
 * figure; this is what the noise tunnel, deletion/insertion and sanity checks find by id.
 */
public final class SaliencyAttributionProvider
    extends DeclaredAttributionProvider<SaliencyAttributionProvider.Parameters> {
  public SaliencyAttributionProvider() {
    super("saliency",
        "Saliency (Simonyan et al. 2014): the gradient of the target score, by default its absolute value",
        Parameters.class, (ctx, p) -> (inputs, targets) -> {
          Tensor g = TargetGradients.of(ctx.engine(), inputs, targets, p.internalBatchSize());
          return p.abs() ? absolute(g) : g;
        });
  }

  /** The gradient's absolute value, in place. */
  private static Tensor absolute(Tensor g) {
    float[] d = g.data();
    for (int i = 0; i < d.length; i++) {
      d[i] = Math.abs(d[i]);
    }
    return g;
  }

  /** Parameters of saliency as an attribution method. */
  public record Parameters(
      @Param(description = "absolute value of the gradient (Captum's default)", defaultValue = "true") boolean abs,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {}
}

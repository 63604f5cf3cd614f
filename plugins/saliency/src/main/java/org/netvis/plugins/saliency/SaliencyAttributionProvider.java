package org.netvis.plugins.saliency;

import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;
import org.netvis.engine.spi.Param;
import org.netvis.engine.tensor.Tensor;

/**
 * Saliency as an attribution method (Captum's Saliency): the gradient of the target score, its
 * absolute value by default, (N, C, H, W). The {@code saliency} step keeps the assignment's 2-D
 * figure; this is what the noise tunnel, deletion/insertion and sanity checks find by id.
 */
public final class SaliencyAttributionProvider implements AttributionProvider {

  /** Parameters of saliency as an attribution method. */
  public record Parameters(
      @Param(description = "absolute value of the gradient (Captum's default)", defaultValue = "true") boolean abs,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {}

  @Override
  public String id() {
    return "saliency";
  }

  @Override
  public String description() {
    return "Saliency (Simonyan et al. 2014): the gradient of the target score, by default its absolute value";
  }

  @Override
  public Class<? extends Record> parameters() {
    return Parameters.class;
  }

  @Override
  public Attribution create(AttributionContext ctx, Record parameters) {
    Parameters p = (Parameters) parameters;
    return (inputs, targets) -> {
      Tensor g = TargetGradients.of(ctx.engine(), inputs, targets, p.internalBatchSize());
      if (p.abs()) {
        float[] d = g.data();
        for (int i = 0; i < d.length; i++) {
          d[i] = Math.abs(d[i]);
        }
      }
      return g;
    };
  }
}

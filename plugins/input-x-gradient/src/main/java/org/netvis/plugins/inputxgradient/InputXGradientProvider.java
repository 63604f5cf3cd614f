package org.netvis.plugins.inputxgradient;

import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;
import org.netvis.engine.tensor.Tensor;

/** Input x gradient (Shrikumar et al. 2016; Captum's InputXGradient): the input times the target score's gradient. */
public final class InputXGradientProvider extends DeclaredAttributionProvider<InputXGradientProvider.Parameters> {
  public InputXGradientProvider() {
    super("input-x-gradient",
        "Input x gradient: each input value times the gradient of the target score (Shrikumar et al. 2016)",
        Parameters.class, (ctx, p) -> (inputs, targets) ->
            times(inputs, TargetGradients.of(ctx.engine(), inputs, targets, p.internalBatchSize())));
  }

  private static Tensor times(Tensor inputs, Tensor gradients) {
    float[] out = new float[gradients.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = inputs.data()[i] * gradients.data()[i];
    }
    return new Tensor(inputs.shape(), out);
  }

  /** Parameters of input x gradient. */
  public record Parameters(
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {}
}

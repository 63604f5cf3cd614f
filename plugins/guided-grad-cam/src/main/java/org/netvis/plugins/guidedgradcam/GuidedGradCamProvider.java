package org.netvis.plugins.guidedgradcam;

import java.util.Map;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;
import org.netvis.engine.tensor.Tensor;

/**
 * Guided Grad-CAM (Captum's GuidedGradCam): guided backpropagation times Grad-CAM upsampled with
 * nearest interpolation, both found by id through the SPI (not imported), so either can come from
 * another jar.
 */
public final class GuidedGradCamProvider extends DeclaredAttributionProvider<GuidedGradCamProvider.Parameters> {
  public GuidedGradCamProvider() {
    super("guided-grad-cam",
        "Guided Grad-CAM (Selvaraju et al. 2017): guided backpropagation times Grad-CAM (nearest upsampling)",
        Parameters.class, (context, p) -> {
          Attribution guided = context.attributions().create("guided-backprop",
              Map.of("internal_batch_size", p.internalBatchSize()), context, "guided-backprop");
          Attribution cam = context.attributions().create("grad-cam", Map.of("layer", p.layer(), "grid", p.grid(),
              "interpolation", "nearest", "internal_batch_size", p.internalBatchSize()), context, "grad-cam");
          return (inputs, targets) -> product(guided.attribute(inputs, targets), cam.attribute(inputs, targets));
        });
  }

  /** Each channel of the guided gradients {@code g} times the image's Grad-CAM map {@code m}, (N, 1, H, W). */
  private static Tensor product(Tensor g, Tensor m) {
    int n = (int) g.dim(0);
    int c = (int) g.dim(1);
    int hw = (int) (g.dim(2) * g.dim(3));
    float[] out = new float[g.size()];
    for (int i = 0; i < n; i++) {
      for (int ch = 0; ch < c; ch++) {
        for (int k = 0; k < hw; k++) {
          out[(i * c + ch) * hw + k] = g.data()[(i * c + ch) * hw + k] * m.data()[i * hw + k];
        }
      }
    }
    return new Tensor(g.shape(), out);
  }

  /** Parameters of guided Grad-CAM. */
  public record Parameters(
      @Param(description = "Grad-CAM's layer, a name from `netvis layers`"
          + " or a PyTorch module's qualified name, such as features.12, for its output (default: Grad-CAM's default)",
          defaultValue = "''") String layer,
      @Param(description = "Grad-CAM's grid for token tensors", defaultValue = "0", min = 0, max = 4096) int grid,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {}
}

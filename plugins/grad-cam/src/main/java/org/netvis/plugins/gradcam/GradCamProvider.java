package org.netvis.plugins.gradcam;

import org.netvis.engine.spi.DeclaredAttributionProvider;

/** Registers Grad-CAM (Captum's LayerGradCam with relu_attributions, then upsampled). */
public final class GradCamProvider extends DeclaredAttributionProvider<GradCamParameters> {
  public GradCamProvider() {
    super("grad-cam",
        "Grad-CAM (Selvaraju et al. 2017): ReLU of the layer's channels weighted by their spatially averaged"
            + " gradients, upsampled to the input",
        GradCamParameters.class, (context, parameters) -> new GradCam(context, parameters, false));
  }

  @Override
  public boolean signed() {
    return false;
  }

  /** Registers Grad-CAM++. */
  public static final class PlusPlus extends DeclaredAttributionProvider<GradCamParameters> {
    public PlusPlus() {
      super("grad-cam-plus-plus",
          "Grad-CAM++ (Chattopadhay et al. 2018): channel weights from positive gradients scaled by second- and"
              + " third-order terms, as pytorch-grad-cam computes them",
          GradCamParameters.class, (context, parameters) -> new GradCam(context, parameters, true));
    }

    @Override
    public boolean signed() {
      return false;
    }
  }
}

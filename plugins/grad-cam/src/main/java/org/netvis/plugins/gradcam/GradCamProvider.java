package org.netvis.plugins.gradcam;

import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;

/** Registers Grad-CAM (Captum's LayerGradCam with relu_attributions, then upsampled). */
public final class GradCamProvider implements AttributionProvider {
  @Override
  public String id() {
    return "grad-cam";
  }

  @Override
  public String description() {
    return "Grad-CAM (Selvaraju et al. 2017): ReLU of the layer's channels weighted by their spatially averaged"
        + " gradients, upsampled to the input";
  }

  @Override
  public Class<? extends Record> parameters() {
    return GradCamParameters.class;
  }

  @Override
  public Attribution create(AttributionContext context, Record parameters) {
    return new GradCam(context.engine(), (GradCamParameters) parameters, false);
  }

  @Override
  public boolean signed() {
    return false;
  }

  /** Registers Grad-CAM++. */
  public static final class PlusPlus implements AttributionProvider {
    @Override
    public String id() {
      return "grad-cam-plus-plus";
    }

    @Override
    public String description() {
      return "Grad-CAM++ (Chattopadhay et al. 2018): channel weights from positive gradients scaled by second- and"
          + " third-order terms, as pytorch-grad-cam computes them";
    }

    @Override
    public Class<? extends Record> parameters() {
      return GradCamParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      return new GradCam(context.engine(), (GradCamParameters) parameters, true);
    }

    @Override
    public boolean signed() {
      return false;
    }
  }
}

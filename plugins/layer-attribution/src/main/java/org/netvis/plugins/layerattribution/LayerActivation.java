package org.netvis.plugins.layerattribution;

import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's LayerActivation: the layer's activations themselves, what the other layer methods weigh;
 * forward passes only, and the images' labels play no part.
 */
final class LayerActivation implements Attribution {
  private final LayerPass pass;
  private final int batch;

  LayerActivation(LayerPass pass, int batch) {
    this.pass = pass;
    this.batch = batch;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    return pass.output(pass.activations(inputs, batch), inputs);
  }
}

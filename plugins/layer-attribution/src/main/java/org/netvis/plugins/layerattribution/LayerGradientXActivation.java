package org.netvis.plugins.layerattribution;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;

/** Captum's LayerGradientXActivation: the layer's activations times the target score's gradient there. */
final class LayerGradientXActivation implements Attribution {
  private final LayerPass pass;
  private final int batch;

  LayerGradientXActivation(LayerPass pass, LayerParameters p) {
    this.pass = pass;
    this.batch = p.internalBatchSize();
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    List<Tensor> parts = new ArrayList<>();
    LayerPass.Result r = null;
    for (int start = 0; start < n; start += batch) {
      int end = Math.min(n, start + batch);
      r = pass.run(inputs.slice(start, end), Arrays.copyOfRange(targets, start, end), r);
      float[] product = new float[r.activations().size()];
      for (int k = 0; k < product.length; k++) {
        product[k] = r.activations().data()[k] * r.gradients().data()[k];
      }
      parts.add(new Tensor(r.activations().shape(), product));
    }
    return pass.output(parts.size() == 1 ? parts.get(0) : Tensor.concat(parts), inputs);
  }
}

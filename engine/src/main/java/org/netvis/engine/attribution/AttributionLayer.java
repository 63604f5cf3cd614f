package org.netvis.engine.attribution;

import java.util.Arrays;
import java.util.List;
import org.netvis.engine.graph.GradientGraphBuilder.LayerTensor;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Tensor;

/**
 * The hidden tensor a layer method explains (Grad-CAM, conductance, layer integrated gradients): a
 * name from {@code netvis layers} or a PyTorch module's ({@link org.netvis.engine.graph.LayerLookup}),
 * checked against the gradient path, or by default the last 4-D tensor with a spatial size above 1.
 * A token tensor (N, T, D), such as a ViT block's output, is read as D channels over a grid x grid
 * map of its last tokens (class tokens before them left out).
 *
 * @param shape the tensor's shape at the engine's input size, batch first
 * @param grid the side of a token tensor's patch grid; 0 for a 4-D tensor
 */
public record AttributionLayer(String name, long[] shape, int grid) {

  /** The layer {@code layer} names (the default where empty), with {@code grid} checked against it. */
  public static AttributionLayer resolve(Engine engine, String layer, int grid) {
    List<LayerTensor> layers = engine.layers();
    if (layer.isEmpty()) {
      LayerTensor last = null;
      for (LayerTensor l : layers) {
        if (l.shape().length == 4 && l.shape()[2] * l.shape()[3] > 1) {
          last = l;
        }
      }
      if (last == null) {
        throw new IllegalArgumentException("layer: the model has no 4-D tensor with a spatial size above 1 on its"
            + " gradient path; name a tensor from `netvis layers` (with grid for token tensors)");
      }
      return new AttributionLayer(last.name(), last.shape(), 0);
    }
    // A tensor on the gradient path or a module's output; any other name is refused with the nearest ones.
    LayerTensor l = engine.layerLookup().find("layer", layer);
    if (l.shape().length == 3 && grid == 0) {
      throw new IllegalArgumentException("layer: '" + layer + "' is a token tensor " + Arrays.toString(l.shape())
          + "; give grid, the side of its square patch grid");
    }
    if (l.shape().length == 3 && (long) grid * grid > l.shape()[1]) {
      throw new IllegalArgumentException("grid: " + grid + " x " + grid + " is more than the "
          + l.shape()[1] + " tokens of '" + layer + "'");
    }
    if (l.shape().length != 3 && l.shape().length != 4) {
      throw new IllegalArgumentException("layer: '" + layer + "' has shape " + Arrays.toString(l.shape())
          + "; expected (N, C, H, W) or tokens (N, T, D)");
    }
    return new AttributionLayer(l.name(), l.shape(), l.shape().length == 3 ? grid : 0);
  }

  /** (N, C, h, w) as is; tokens (N, T, D) as (N, D, grid, grid) from the last grid^2 tokens. */
  public Tensor channelsFirst(Tensor t) {
    if (t.rank() == 4) {
      return t;
    }
    int n = (int) t.dim(0);
    int tokens = (int) t.dim(1);
    int d = (int) t.dim(2);
    int skip = tokens - grid * grid;
    float[] out = new float[n * d * grid * grid];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < grid * grid; k++) {
        for (int c = 0; c < d; c++) {
          out[(i * d + c) * grid * grid + k] = t.data()[(i * tokens + skip + k) * d + c];
        }
      }
    }
    return new Tensor(new long[] {n, d, grid, grid}, out);
  }
}

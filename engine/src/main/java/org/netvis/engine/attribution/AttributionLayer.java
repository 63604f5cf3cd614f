package org.netvis.engine.attribution;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.GradientGraphBuilder.LayerTensor;
import org.netvis.engine.graph.ImageLayout;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Tensor;

/**
 * The hidden tensor a layer method explains (Grad-CAM, conductance, layer integrated gradients): a
 * name from {@code netvis layers} or a PyTorch module's ({@link org.netvis.engine.graph.LayerLookup}),
 * checked against the gradient path, or by default the last 4-D tensor with a spatial size above 1
 * whose layout the graph fixes ({@link GradientGraphBuilder.LayerTensor#layout}): a channels-last
 * tensor (Swin's stages, ConvNeXt's normalizations) is read as (N, H, W, C), not as H channels. A
 * token tensor (N, T, D), such as a ViT block's output, is read as D channels over a grid x grid map
 * of its last tokens (class tokens before them left out).
 *
 * @param shape the tensor's shape at the engine's input size, batch first
 * @param grid the side of a token tensor's patch grid; 0 for a 4-D tensor
 * @param layout a 4-D tensor's layout (NCHW where the graph does not fix it, ONNX's convention); null
 *     for a token tensor
 */
public record AttributionLayer(String name, long[] shape, int grid, ImageLayout layout) {

  /** The layer {@code layer} names (the default where empty), with {@code grid} checked against it. */
  public static AttributionLayer resolve(Engine engine, String layer, int grid) {
    List<LayerTensor> layers = engine.layers();
    if (layer.isEmpty()) {
      LayerTensor last = null;
      for (LayerTensor l : layers) {
        if (l.layout() != null && Arrays.stream(l.layout().spatial(l.shape())).reduce(1, (a, b) -> a * b) > 1) {
          last = l;
        }
      }
      if (last == null) {
        throw new IllegalArgumentException("layer: the model has no 4-D tensor with a spatial size above 1 and a"
            + " known layout on its gradient path; name a tensor from `netvis layers` (with grid for token tensors)");
      }
      return new AttributionLayer(last.name(), last.shape(), 0, last.layout());
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
    if (l.shape().length == 3) {
      return new AttributionLayer(l.name(), l.shape(), grid, null);
    }
    return new AttributionLayer(l.name(), l.shape(), 0, l.layout() == null ? ImageLayout.NCHW : l.layout());
  }

  /**
   * Whether one image's part of the tensor holds its channels last: tokens (T, D), or a channels-last
   * map (H, W, C).
   */
  public boolean channelsLast() {
    return layout != ImageLayout.NCHW;
  }

  /**
   * As {@link #resolve(Engine, String, int)} with the context's engine, and recorded in the step's
   * results ({@link AttributionContext#settled}): the tensor, its shape (batch -1), its layout, a
   * token tensor's grid, and whether it was named or is the default. A default that lies before a
   * transformer's token tensors (a ViT's patch embedding) says so: Grad-CAM there explains the
   * patches' pixels, not what the blocks attend to.
   */
  public static AttributionLayer resolve(AttributionContext ctx, String layer, int grid) {
    AttributionLayer resolved = resolve(ctx.engine(), layer, grid);
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("tensor", resolved.name);
    record.put("shape", Arrays.stream(resolved.shape).boxed().toList());
    record.put("layout", resolved.layout == null ? "tokens" : resolved.layout.name());
    if (resolved.layout == null) {
      record.put("grid", resolved.grid);
    }
    record.put("chosen", layer.isEmpty() ? "default" : "named '" + layer + "'");
    if (layer.isEmpty()) {
      List<LayerTensor> path = ctx.engine().layers();
      boolean tokensAfter = false;
      for (int i = path.size() - 1; i >= 0 && !path.get(i).name().equals(resolved.name); i--) {
        tokensAfter |= path.get(i).shape().length == 3;
      }
      if (tokensAfter) {
        record.put("note", "token tensors (N, T, D) follow this layer: for a transformer, name a block's token"
            + " tensor and its grid (`netvis layers " + ctx.model().id() + " --modules`)");
      }
    }
    ctx.settled("layer", record);
    return resolved;
  }

  /**
   * (N, C, h, w) as is, (N, h, w, C) transposed to it; tokens (N, T, D) as (N, D, grid, grid) from the
   * last grid^2 tokens.
   */
  public Tensor channelsFirst(Tensor t) {
    if (t.rank() == 4) {
      return layout.toNchw(t);
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

package org.netvis.plugins.gradcam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.netvis.engine.graph.GradientGraphBuilder.LayerTensor;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * Grad-CAM and Grad-CAM++ at a named layer. The gradient graph returns the layer's activations A
 * and the gradient G of the target score with respect to them (internal outputs of one VJP). A
 * (N, C, h, w) layer is used as is; a token layer (N, T, D) is read as D channels over a grid x
 * grid map of its last tokens.
 */
final class GradCam implements Attribution {
  private static final double EPS = 1e-7;
  private final Engine engine;
  private final GradCamParameters p;
  private final boolean plusPlus;
  private final String layer;

  GradCam(Engine engine, GradCamParameters p, boolean plusPlus) {
    this.engine = engine;
    this.p = p;
    this.plusPlus = plusPlus;
    this.layer = resolveLayer(engine, p);
  }

  /** The layer named, checked against the gradient path, or the default. */
  static String resolveLayer(Engine engine, GradCamParameters p) {
    List<LayerTensor> layers = engine.layers();
    if (p.layer().isEmpty()) {
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
      return last.name();
    }
    for (LayerTensor l : layers) {
      if (l.name().equals(p.layer())) {
        if (l.shape().length == 3 && p.grid() == 0) {
          throw new IllegalArgumentException("layer: '" + p.layer() + "' is a token tensor " + Arrays.toString(l.shape())
              + "; give grid, the side of its square patch grid");
        }
        if (l.shape().length == 3 && (long) p.grid() * p.grid() > l.shape()[1]) {
          throw new IllegalArgumentException("grid: " + p.grid() + " x " + p.grid() + " is more than the "
              + l.shape()[1] + " tokens of '" + p.layer() + "'");
        }
        if (l.shape().length != 3 && l.shape().length != 4) {
          throw new IllegalArgumentException("layer: '" + p.layer() + "' has shape " + Arrays.toString(l.shape())
              + "; expected (N, C, H, W) or tokens (N, T, D)");
        }
        return l.name();
      }
    }
    throw new IllegalArgumentException("layer: '" + p.layer() + "' is not a tensor on the gradient path of "
        + engine.model().id() + "; `netvis layers " + engine.model().id() + "` lists them");
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Tensor cam = layerMap(inputs, targets);
    return switch (p.interpolation()) {
      case NONE -> cam;
      case BILINEAR -> Upsample.bilinear(cam, (int) inputs.dim(2), (int) inputs.dim(3));
      case NEAREST -> Upsample.nearest(cam, (int) inputs.dim(2), (int) inputs.dim(3));
    };
  }

  /** The map at the layer's resolution, (N, 1, h, w). */
  Tensor layerMap(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    VjpSpec spec = new VjpSpec(List.of(), List.of(layer), List.of(layer));
    String seed = engine.graph().outputName();
    List<Tensor> parts = new ArrayList<>();
    for (int start = 0; start < n; start += p.internalBatchSize()) {
      int end = Math.min(n, start + p.internalBatchSize());
      Tensor cotangent = ClassScores.oneHot(Arrays.copyOfRange(targets, start, end), engine.classes());
      Map<String, Tensor> out = engine.vjp(inputs.slice(start, end), spec, Map.of(seed, cotangent));
      parts.add(cam(channelsFirst(out.get(layer)), channelsFirst(out.get(VjpSpec.gradientName(layer)))));
    }
    return parts.size() == 1 ? parts.get(0) : Tensor.concat(parts);
  }

  /** (N, C, h, w) as is; tokens (N, T, D) as (N, D, grid, grid) from the last grid^2 tokens. */
  private Tensor channelsFirst(Tensor t) {
    if (t.rank() == 4) {
      return t;
    }
    int n = (int) t.dim(0);
    int tokens = (int) t.dim(1);
    int d = (int) t.dim(2);
    int g = p.grid();
    int skip = tokens - g * g;
    float[] out = new float[n * d * g * g];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < g * g; k++) {
        for (int c = 0; c < d; c++) {
          out[(i * d + c) * g * g + k] = t.data()[(i * tokens + skip + k) * d + c];
        }
      }
    }
    return new Tensor(new long[] {n, d, g, g}, out);
  }

  /** ReLU(sum_c w_c A_c) with Grad-CAM's or Grad-CAM++'s channel weights. */
  private Tensor cam(Tensor a, Tensor g) {
    int n = (int) a.dim(0);
    int c = (int) a.dim(1);
    int hw = (int) (a.dim(2) * a.dim(3));
    float[] out = new float[n * hw];
    for (int i = 0; i < n; i++) {
      double[] map = new double[hw];
      for (int ch = 0; ch < c; ch++) {
        int base = (i * c + ch) * hw;
        double weight = plusPlus ? plusPlusWeight(a.data(), g.data(), base, hw) : mean(g.data(), base, hw);
        for (int k = 0; k < hw; k++) {
          map[k] += weight * a.data()[base + k];
        }
      }
      for (int k = 0; k < hw; k++) {
        out[i * hw + k] = (float) Math.max(0, map[k]);
      }
    }
    return new Tensor(new long[] {n, 1, a.dim(2), a.dim(3)}, out);
  }

  private static double mean(float[] v, int base, int count) {
    double s = 0;
    for (int k = 0; k < count; k++) {
      s += v[base + k];
    }
    return s / count;
  }

  /**
   * sum_ij alpha_ij relu(g_ij), alpha = g^2 / (2 g^2 + sum_ij(A) g^3 + eps), zero where g is zero
   * (pytorch-grad-cam's GradCAMPlusPlus, with the exponential of the score folded into g).
   */
  private static double plusPlusWeight(float[] a, float[] g, int base, int count) {
    double sumA = 0;
    for (int k = 0; k < count; k++) {
      sumA += a[base + k];
    }
    double w = 0;
    for (int k = 0; k < count; k++) {
      double gk = g[base + k];
      if (gk == 0) {
        continue;
      }
      double g2 = gk * gk;
      double alpha = g2 / (2 * g2 + sumA * g2 * gk + EPS);
      w += alpha * Math.max(0, gk);
    }
    return w;
  }
}

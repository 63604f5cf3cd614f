package org.netvis.plugins.gradcam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.netvis.engine.attribution.AttributionLayer;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * Grad-CAM and Grad-CAM++ at a named layer ({@link AttributionLayer}). The gradient graph returns
 * the layer's activations A and the gradient G of the target score with respect to them (internal
 * outputs of one VJP).
 */
final class GradCam implements Attribution {
  private static final double EPS = 1e-7;
  private final Engine engine;
  private final GradCamParameters p;
  private final boolean plusPlus;
  private final AttributionLayer layer;

  GradCam(AttributionContext context, GradCamParameters p, boolean plusPlus) {
    this.engine = context.engine();
    this.p = p;
    this.plusPlus = plusPlus;
    this.layer = AttributionLayer.resolve(context, p.layer(), p.grid());
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    return p.interpolation().apply(layerMap(inputs, targets), (int) inputs.dim(2), (int) inputs.dim(3));
  }

  /** The map at the layer's resolution, (N, 1, h, w). */
  Tensor layerMap(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    VjpSpec spec = new VjpSpec(List.of(), List.of(layer.name()), List.of(layer.name()));
    String seed = engine.graph().outputName();
    List<Tensor> parts = new ArrayList<>();
    for (int start = 0; start < n; start += p.internalBatchSize()) {
      int end = Math.min(n, start + p.internalBatchSize());
      Tensor cotangent = ClassScores.oneHot(Arrays.copyOfRange(targets, start, end), engine.classes());
      Map<String, Tensor> out = engine.vjp(inputs.slice(start, end), spec, Map.of(seed, cotangent));
      parts.add(cam(layer.channelsFirst(out.get(layer.name())),
          layer.channelsFirst(out.get(VjpSpec.gradientName(layer.name())))));
    }
    return parts.size() == 1 ? parts.get(0) : Tensor.concat(parts);
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

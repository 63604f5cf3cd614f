package org.netvis.plugins.saliency;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.image.ColorMap;
import org.netvis.engine.image.Figure;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.image.PngBatch;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;

/** Saliency maps (Simonyan et al. 2014) as in the CS231n assignment, all images in batched VJPs. */
public final class Saliency implements Technique<SaliencyParameters> {

  /** Saliency of a batch: (N, H, W), the max over channels of the absolute input gradient. */
  public static Tensor saliency(Engine engine, Tensor images, long[] labels, SaliencyParameters p, Progress progress) {
    int n = (int) images.dim(0);
    List<Tensor> parts = new ArrayList<>();
    for (int start = 0; start < n; start += p.batchSize()) {
      int end = Math.min(n, start + p.batchSize());
      Tensor batch = images.slice(start, end);
      long[] batchLabels = java.util.Arrays.copyOfRange(labels, start, end);
      Tensor gradient = gradient(engine, batch, batchLabels, p.objective(), n);
      for (int i = 0; i < gradient.size(); i++) {
        if (!Float.isFinite(gradient.data()[i])) {
          throw new IllegalStateException("the input gradient of image " + (start + i / gradient.itemSize())
              + " holds NaN or infinite values; the model's output is not finite there");
        }
      }
      parts.add(maxAbsOverChannels(gradient));
      progress.step();
    }
    return Tensor.concat(parts);
  }

  /**
   * The input gradient of the objective: of the summed class scores (one-hot cotangents), or of the
   * mean cross-entropy over all {@code total} images (the summed cross-entropy's gradient, which the
   * gradient graph takes in one run, over {@code total}).
   */
  static Tensor gradient(Engine engine, Tensor batch, long[] labels, SaliencyParameters.Objective objective, int total) {
    Tensor oneHot = ClassScores.oneHot(labels, engine.classes());
    if (objective == SaliencyParameters.Objective.CLASS_SCORE) {
      return engine.vjp(batch, oneHot).inputGradient();
    }
    Tensor g = engine.crossEntropyVjp(batch, oneHot).inputGradient();
    float[] d = g.data();
    for (int k = 0; k < d.length; k++) {
      d[k] /= total;
    }
    return g;
  }

  static Tensor maxAbsOverChannels(Tensor gradient) {
    int n = (int) gradient.dim(0);
    int c = (int) gradient.dim(1);
    int hw = (int) (gradient.dim(2) * gradient.dim(3));
    float[] out = new float[n * hw];
    float[] g = gradient.data();
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < hw; k++) {
        float m = 0;
        for (int ch = 0; ch < c; ch++) {
          m = Math.max(m, Math.abs(g[(i * c + ch) * hw + k]));
        }
        out[i * hw + k] = m;
      }
    }
    return new Tensor(new long[] {n, gradient.dim(2), gradient.dim(3)}, out);
  }

  @Override
  public StepResult run(StepContext ctx, SaliencyParameters p) throws Exception {
    InputBatch in = ctx.inputs();
    int n = in.size();
    Tensor maps;
    try (Progress progress = ctx.progress("saliency", (n + p.batchSize() - 1) / p.batchSize())) {
      maps = saliency(ctx.engine(), in.images(), in.labels(), p, progress);
    }
    Path dir = ctx.outputDir();
    Npy.write(dir.resolve("saliency.npy"), maps);
    int h = (int) maps.dim(1);
    int w = (int) maps.dim(2);
    List<Map<String, Object>> images = new ArrayList<>();
    // The assignment's layout: images with class names on the first row, saliency maps below.
    Figure layout = new Figure("Saliency maps (" + p.objective().name().toLowerCase() + ")").row();
    List<org.netvis.engine.image.RgbImage> heatmaps = new ArrayList<>();
    PngBatch files = new PngBatch();
    for (int i = 0; i < n; i++) {
      float[] map = java.util.Arrays.copyOfRange(maps.data(), i * h * w, (i + 1) * h * w);
      String className = ctx.model().className((int) in.labels()[i]);
      String file = String.format("saliency_%02d.png", i);
      org.netvis.engine.image.RgbImage heatmap = ColorMap.HOT.apply(map, w, h);
      heatmaps.add(heatmap);
      files.add(dir.resolve(file), heatmap);
      layout.panel(Pixels.toRgb8(in.images(), i, ctx.model().preprocessing()), className);
      double max = 0;
      double sum = 0;
      for (float v : map) {
        max = Math.max(max, v);
        sum += v;
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("image", in.names().get(i));
      r.put("label", in.labels()[i]);
      r.put("class_name", className);
      r.put("heatmap", file);
      r.put("saliency_max", max);
      r.put("saliency_mean", sum / map.length);
      images.add(r);
    }
    layout.row();
    heatmaps.forEach(heatmap -> layout.panel(heatmap, "saliency"));
    files.add(dir.resolve("figure.png"), layout).write();
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("objective", p.objective().name().toLowerCase());
    values.put("colormap", "hot (black = 0, white = the image's largest value)");
    values.put("images", images);
    return StepResult.of(values);
  }
}

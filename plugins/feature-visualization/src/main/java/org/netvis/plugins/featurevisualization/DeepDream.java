package org.netvis.plugins.featurevisualization;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.netvis.engine.graph.ImageLayout;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.image.Figure;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.image.Roll;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.tensor.Tensor;

/**
 * DeepDream as in the original notebook: the input image is shrunk into octaves (each
 * {@code octave_scale} smaller); from the smallest up, the detail gained so far is enlarged onto the
 * octave's image, and {@code iterations} steps ascend the layer objective on a randomly rolled copy
 * with a step of {@code step_size / mean|g|}, rolled back and clamped to [0, 1]. Works in [0, 1]
 * RGB pixels; a model with a fixed input size sees each octave resized to it. Writes a frame per
 * octave ({@code NAME_iterNNNN.png}, numbered by octave), the final image and a figure.
 */
public final class DeepDream implements Technique<DeepDreamParameters> {

  @Override
  public void check(Engine engine, DeepDreamParameters p) {
    Unit u = Renderer.unit(engine.layerLookup(), "layer", p.layer());
    if (p.channel() >= u.channels()) {
      throw new IllegalArgumentException("channel: " + p.channel() + " is beyond the " + u.channels() + " channels of '"
          + p.layer() + "' (expected 0 to " + (u.channels() - 1) + ")");
    }
  }

  private static Objective objective(DeepDreamParameters p) {
    return new Objective(List.of(p.channel() >= 0
        ? new Objective.Term(Objective.Kind.CHANNEL, p.layer(), p.channel(), -1, -1, null, 0, 1, -1)
        : new Objective.Term(Objective.Kind.LAYER, p.layer(), -1, -1, -1, null, 0, 1, -1)));
  }

  @Override
  public StepResult run(StepContext ctx, DeepDreamParameters p) throws Exception {
    Engine engine = ctx.engine();
    Preprocessing pre = ctx.model().preprocessing();
    InputBatch inputs = ctx.inputs();
    Objective objective = objective(p).resolved(engine.layerLookup());
    // The layer's layout as the gradient path knows it, once: its activations' shape changes with the octave.
    ImageLayout layout = engine.layerLookup().find("layer", objective.terms().get(0).layer()).layout();
    int n = (int) inputs.images().dim(0);
    int h = (int) inputs.images().dim(2);
    int w = (int) inputs.images().dim(3);
    boolean fixedSize = engine.graph().inputShape()[2] > 0;
    Figure figure = new Figure("DeepDream: " + p.layer() + (p.channel() >= 0 ? " channel " + p.channel() : "")
        + ", " + p.octaves() + " octaves x " + p.iterations() + " steps");
    List<Map<String, Object>> rows = new ArrayList<>();
    float[][] finals = new float[n][];
    try (Progress progress = ctx.progress("deep dream", (long) n * p.octaves() * p.iterations())) {
      for (int i = 0; i < n; i++) {
        String stem = stem(inputs.names().get(i), i);
        Random random = SeededRandom.forItem(ctx.seed(), ctx.itemIndex(i));
        float[] base = planar(Pixels.deprocess(inputs.images(), i, pre));
        int[][] sizes = new int[p.octaves()][];
        for (int o = 0; o < p.octaves(); o++) {
          sizes[o] = new int[] {Math.max(1, (int) Math.round(h / Math.pow(p.octaveScale(), o))),
              Math.max(1, (int) Math.round(w / Math.pow(p.octaveScale(), o)))};
        }
        float[] detail = null;
        float[] image = null;
        figure.row();
        figure.panel(RenderedImages.rgb(base, h, w), "input " + stem);
        List<String> frames = new ArrayList<>();
        for (int o = p.octaves() - 1; o >= 0; o--) {
          int oh = sizes[o][0];
          int ow = sizes[o][1];
          float[] octaveBase = oh == h && ow == w ? base : Resampling.resize(h, w, oh, ow).apply(base, 3);
          image = octaveBase.clone();
          if (detail != null) {
            int dh = sizes[o + 1][0];
            int dw = sizes[o + 1][1];
            float[] grown = Resampling.resize(dh, dw, oh, ow).apply(detail, 3);
            for (int k = 0; k < image.length; k++) {
              image[k] += grown[k];
            }
          }
          for (int it = 0; it < p.iterations(); it++) {
            int ox = p.jitter() == 0 ? 0 : random.nextInt(2 * p.jitter() + 1) - p.jitter();
            int oy = p.jitter() == 0 ? 0 : random.nextInt(2 * p.jitter() + 1) - p.jitter();
            float[] rolled = Roll.of(image, 3, oh, ow, ox, oy);
            float[] g = Roll.of(gradient(engine, pre, objective, layout, rolled, oh, ow, fixedSize), 3, oh, ow, -ox, -oy);
            double mean = 0;
            for (float v : g) {
              mean += Math.abs(v);
            }
            mean /= g.length;
            if (!(mean > 0) || !Double.isFinite(mean)) {
              throw new IllegalStateException("the gradient of '" + p.layer() + "' is " + (mean == 0 ? "all zeros"
                  : "not finite") + " on image " + stem + " at octave " + o + "; cannot take a normalized step");
            }
            for (int k = 0; k < image.length; k++) {
              image[k] = (float) Math.max(0, Math.min(1, image[k] + p.stepSize() / mean * g[k]));
            }
            progress.step();
          }
          detail = new float[image.length];
          for (int k = 0; k < image.length; k++) {
            detail[k] = image[k] - octaveBase[k];
          }
          int frame = p.octaves() - o;
          String file = String.format("%s_iter%04d.png", stem, frame);
          org.netvis.engine.image.PngImages.write(ctx.outputDir().resolve(file), RenderedImages.rgb(image, oh, ow));
          frames.add(file);
          figure.panel(RenderedImages.rgb(image, oh, ow), "octave " + frame + " (" + ow + "x" + oh + ")");
        }
        finals[i] = image;
        String file = stem + ".png";
        org.netvis.engine.image.PngImages.write(ctx.outputDir().resolve(file), RenderedImages.rgb(image, h, w));
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("image", file);
        e.put("input", inputs.names().get(i));
        e.put("objective_before", value(engine, pre, objective, layout, base, h, w, fixedSize));
        e.put("objective_after", value(engine, pre, objective, layout, image, h, w, fixedSize));
        e.put("frames", frames);
        rows.add(e);
      }
    }
    figure.write(ctx.outputDir().resolve("figure.png"));
    float[] all = new float[n * 3 * h * w];
    for (int i = 0; i < n; i++) {
      System.arraycopy(finals[i], 0, all, i * 3 * h * w, 3 * h * w);
    }
    org.netvis.engine.tensor.Npy.write(ctx.outputDir().resolve("dreams.npy"), new Tensor(new long[] {n, 3, h, w}, all));
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("layer", p.layer());
    values.put("images", rows);
    return StepResult.of(values);
  }

  /** d(objective)/d(image) for one [0, 1] RGB image of oh x ow. */
  private static float[] gradient(Engine engine, Preprocessing pre, Objective objective, ImageLayout layout,
      float[] image, int oh, int ow, boolean fixedSize) {
    int mh = fixedSize ? (int) engine.inputHeight() : oh;
    int mw = fixedSize ? (int) engine.inputWidth() : ow;
    Resampling resize = mh == oh && mw == ow ? null : Resampling.resize(oh, ow, mh, mw);
    float[] x = resize == null ? image : resize.apply(image, 3);
    Tensor input = Pixels.fromRgbUnitPixels(new Tensor(new long[] {1, 3, mh, mw}, x), pre);
    String layer = objective.terms().get(0).layer();
    Map<String, Tensor> acts = engine.activations(input, List.of(layer));
    Map<String, Unit> units = Map.of(layer, Unit.of(layer, acts.get(layer).shape(), layout));
    Map<String, Tensor> cotangents = objective.cotangents(1, engine.graph().outputName(), units, acts);
    Map<String, Tensor> out = engine.vjp(input, new VjpSpec(List.of(layer), List.of(), List.of()), cotangents);
    float[] g = Pixels.rgbUnitPixelGradient(out.get(VjpSpec.gradientName(engine.graph().inputName())), pre).data();
    return resize == null ? g : resize.adjoint(g, 3);
  }

  private static double value(Engine engine, Preprocessing pre, Objective objective, ImageLayout layout,
      float[] image, int h, int w, boolean fixedSize) {
    Tensor input = Pixels.fromRgbUnitPixels(new Tensor(new long[] {1, 3, h, w}, image), pre);
    String layer = objective.terms().get(0).layer();
    Map<String, Tensor> acts = engine.activations(input, List.of(layer));
    Map<String, Unit> units = Map.of(layer, Unit.of(layer, acts.get(layer).shape(), layout));
    return objective.values(1, engine.graph().outputName(), units, acts, input)[0][1];
  }

  private static float[] planar(float[][] rgb) {
    int plane = rgb[0].length;
    float[] out = new float[3 * plane];
    for (int c = 0; c < 3; c++) {
      System.arraycopy(rgb[c], 0, out, c * plane, plane);
    }
    return out;
  }

  private static String stem(String name, int index) {
    String s = name.replaceAll(".*/", "").replaceAll("\\.[A-Za-z0-9]+$", "").replaceAll("[^A-Za-z0-9._-]", "_");
    return s.isEmpty() ? "image-" + index : s;
  }
}

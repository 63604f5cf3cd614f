package org.netvis.engine.attribution;

import com.google.inject.Module;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.image.ColorMap;
import org.netvis.engine.image.Figure;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.image.PngBatch;
import org.netvis.engine.image.RgbImage;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;
import org.netvis.engine.spi.Attributions;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;

/**
 * The step every attribution method runs as: attributions of the step's images toward their labels
 * (the given class, else the model's top-1), saved as {@code attributions.npy} (N, C, H, W), with a
 * figure of images, maps (channel sums; blue-white-red where signs matter, else "hot"; a map smaller
 * than the photo, a layer's, in cells over it) and overlays,
 * and per-image figures in results.json (Captum's convergence delta where the method has one).
 */
public final class AttributionStep implements Technique<Record> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AttributionStep.class);
  private final AttributionProvider provider;
  private final Attributions attributions;

  @Inject
  public AttributionStep(AttributionProvider provider, Attributions attributions) {
    this.provider = provider;
    this.attributions = attributions;
  }

  /**
   * Creating a method checks its parameters against the model (a layer name, the methods it finds
   * by id and their parameters) without running it.
   */
  @Override
  public void check(Engine engine, Record parameters) {
    provider.create(StepAttributionContext.forCheck(engine, attributions), parameters);
  }

  /** Presents an attribution method as a technique of the same id. */
  public static final class Provider implements TechniqueProvider {
    private final AttributionProvider method;

    public Provider(AttributionProvider method) {
      this.method = method;
    }

    @Override
    public String id() {
      return method.id();
    }

    @Override
    public String description() {
      return method.description();
    }

    @Override
    public Class<? extends Record> parameters() {
      return method.parameters();
    }

    @Override
    public Class<? extends Technique<?>> technique() {
      return AttributionStep.class;
    }

    @Override
    public Module module() {
      return binder -> binder.bind(AttributionProvider.class).toInstance(method);
    }
  }

  /**
   * The attribution context of a step; {@code settled} collects what its methods settled on
   * ({@link AttributionContext#settled}), in the order they did.
   */
  public record StepAttributionContext(Engine engine, ResolvedModel model, long seed, Attributions attributions,
      java.util.function.IntUnaryOperator itemIndexes, Map<String, Object> settled) implements AttributionContext {
    public StepAttributionContext(Engine engine, ResolvedModel model, long seed, Attributions attributions) {
      this(engine, model, seed, attributions, i -> i, new LinkedHashMap<>());
    }

    /**
     * What a {@code check} creates methods with, before any step runs: the engine's model and the
     * methods, seed 0 (creating a method draws nothing).
     */
    public static StepAttributionContext forCheck(Engine engine, Attributions attributions) {
      return new StepAttributionContext(engine, engine.model(), 0, attributions);
    }

    /** The step's engine, model, seed and methods, and its images' data-set indices. */
    public static StepAttributionContext of(StepContext ctx) {
      return new StepAttributionContext(ctx.engine(), ctx.model(), ctx.seed(), ctx.attributions(), ctx::itemIndex,
          new LinkedHashMap<>());
    }

    @Override
    public int itemIndex(int i) {
      return itemIndexes.applyAsInt(i);
    }

    @Override
    public void settled(String key, Object value) {
      settled.put(key, value);
    }
  }

  @Override
  public StepResult run(StepContext ctx, Record parameters) throws Exception {
    InputBatch in = ctx.inputs();
    StepAttributionContext context = StepAttributionContext.of(ctx);
    Attribution method = provider.create(context, parameters);
    context.settled().forEach((key, value) -> LOG.info("{}: {} {}", provider.id(), key, value));
    long start = System.nanoTime();
    Tensor attributions = method.attribute(in.images(), in.labels());
    double seconds = (System.nanoTime() - start) / 1e9;
    for (float v : attributions.data()) {
      if (!Float.isFinite(v)) {
        throw new IllegalStateException(provider.id() + ": the attributions hold NaN or infinite values");
      }
    }
    Path dir = ctx.outputDir();
    int n = in.size();
    int h = (int) attributions.dim(2);
    int w = (int) attributions.dim(3);
    ColorMap map = provider.signed() ? ColorMap.BWR : ColorMap.HOT;
    Figure figure = new Figure(provider.id() + (provider.signed() ? " (channel sum; blue < 0 < red)" : " (channel sum)"))
        .row();
    List<RgbImage> maps = new ArrayList<>();
    List<RgbImage> overlays = new ArrayList<>();
    List<Map<String, Object>> images = new ArrayList<>();
    PngBatch files = new PngBatch();
    double[] sums = attributions.itemSums();
    for (int i = 0; i < n; i++) {
      float[] sum = channelSum(attributions, i);
      RgbImage photo = Pixels.toRgb8(in.images(), i, ctx.model().preprocessing());
      // A map at a layer's resolution is shown in cells over the photo (the .npy keeps its own size).
      RgbImage heat = (provider.signed() ? map.applySymmetric(sum, w, h) : map.apply(sum, w, h))
          .scaledNearest(photo.width(), photo.height());
      String className = ctx.model().className((int) in.labels()[i]);
      figure.panel(photo, className);
      maps.add(heat);
      RgbImage overlay = blend(photo, heat);
      overlays.add(overlay);
      String file = String.format("attribution_%02d.png", i);
      files.add(dir.resolve(file), heat).add(dir.resolve(String.format("overlay_%02d.png", i)), overlay);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("image", in.names().get(i));
      // A method that explains what its parameters name (a unit) has no target; the label says what the image is.
      r.put(provider.explainsTargets() ? "target" : "label", in.labels()[i]);
      r.put("class_name", className);
      r.put("map", file);
      r.put("attribution_sum", sums[i]);
      r.put("attribution_abs_max", absMax(attributions, i));
      images.add(r);
    }
    figure.row();
    maps.forEach(m -> figure.panel(m, "attribution"));
    figure.row();
    overlays.forEach(o -> figure.panel(o, "overlay"));
    // The files while the convergence delta's forward passes run: they need none of it.
    try (PngBatch.Writing writing = files.add(dir.resolve("figure.png"), figure).start()) {
      Npy.write(dir.resolve("attributions.npy"), attributions);
      if (method instanceof ConvergenceDelta c) {
        double[] delta = c.convergenceDelta(attributions, in.images(), in.labels());
        for (int i = 0; i < n; i++) {
          images.get(i).put("convergence_delta", delta[i]);
        }
      }
    }
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("method", provider.id());
    values.putAll(context.settled());
    values.put("shape", attributions.shape());
    values.put("colormap", provider.signed() ? "bwr (blue = most negative, white = 0, red = most positive, per image)"
        : "hot (black = 0, white = the image's largest value)");
    values.put("seconds", seconds);
    values.put("images_per_second", n / Math.max(seconds, 1e-9));
    values.put("images", images);
    return StepResult.of(values);
  }

  /** The 2-D map of image i: the sum over channels (Captum's visualization reduces channels the same way). */
  public static float[] channelSum(Tensor t, int i) {
    int c = (int) t.dim(1);
    int hw = (int) (t.dim(2) * t.dim(3));
    float[] out = new float[hw];
    float[] d = t.data();
    for (int ch = 0; ch < c; ch++) {
      int base = (i * c + ch) * hw;
      for (int k = 0; k < hw; k++) {
        out[k] += d[base + k];
      }
    }
    return out;
  }

  private static double absMax(Tensor t, int i) {
    double m = 0;
    int item = t.itemSize();
    for (int k = i * item; k < (i + 1) * item; k++) {
      m = Math.max(m, Math.abs(t.data()[k]));
    }
    return m;
  }

  /** Half photo, half heat map. */
  private static RgbImage blend(RgbImage photo, RgbImage heat) {
    int[] out = new int[photo.rgb().length];
    for (int k = 0; k < out.length; k++) {
      out[k] = (photo.rgb()[k] + heat.rgb()[k] + 1) / 2;
    }
    return new RgbImage(photo.width(), photo.height(), out, null);
  }
}

package org.netvis.plugins.featurevisualization;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.image.Figure;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;

/**
 * Lucid's layer overview: channels 0..N-1 of one layer, each rendered with the channel objective,
 * in batches; one figure (figure.png), one PNG per channel, the images as images.npy. Channel k
 * draws its seed as item k, so the batch size does not change its image.
 */
public final class FeatureGrid implements Technique<FeatureGridParameters> {

  @Override
  public void check(Engine engine, FeatureGridParameters p) {
    Unit u = Renderer.unit(engine.layerLookup(), "layer", p.layer());
    if (p.channels() > u.channels()) {
      throw new IllegalArgumentException("channels: " + p.channels() + " is more than the " + u.channels()
          + " channels of '" + p.layer() + "'");
    }
  }

  /** Channel terms first..first+count-1, one per image. */
  static Objective objective(String layer, int first, int count) {
    List<Objective.Term> terms = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      terms.add(new Objective.Term(Objective.Kind.CHANNEL, layer, first + i, -1, -1, null, 0, 1, i));
    }
    return new Objective(terms);
  }

  @Override
  public StepResult run(StepContext ctx, FeatureGridParameters p) throws Exception {
    Renderer renderer = new Renderer(ctx.engine(), ctx.model().preprocessing());
    int n = p.channels();
    List<float[]> all = new ArrayList<>();
    List<Map<String, Object>> rows = new ArrayList<>();
    int side = p.imageSize() > 0 ? p.imageSize() : (int) ctx.engine().inputHeight();
    int size = side;
    try (Progress progress = ctx.progress("feature grid", (long) p.steps() * ((n + p.batchSize() - 1) / p.batchSize()))) {
      for (int first = 0; first < n; first += p.batchSize()) {
        int count = Math.min(p.batchSize(), n - first);
        Objective objective = objective(p.layer(), first, count).resolved(ctx.engine().layerLookup());
        int start = first;
        Renderer.Rendered r = renderer.render(objective, count, first, p.settings(), ctx.seed(), (step, images) -> {
          for (int b = 0; b < images.length; b++) {
            RenderedImages.png(ctx.outputDir().resolve(String.format("channel-%d_iter%04d.png", start + b, step)),
                images[b], side);
          }
        }, progress);
        size = r.size();
        for (int b = 0; b < count; b++) {
          String file = "channel-" + (first + b) + ".png";
          RenderedImages.png(ctx.outputDir().resolve(file), r.images()[b], r.size());
          all.add(r.images()[b]);
          Map<String, Object> e = new LinkedHashMap<>();
          e.put("channel", first + b);
          e.put("activation", r.values()[b][b]);
          e.put("image", file);
          rows.add(e);
        }
      }
    }
    RenderedImages.npy(ctx.outputDir().resolve("images.npy"), all.toArray(new float[0][]), size);
    Figure figure = new Figure(p.layer() + ": channels 0-" + (n - 1) + " (" + p.steps() + " steps, "
        + p.parameterization().name().toLowerCase() + (p.decorrelate() ? " + decorrelate" : "") + ")");
    for (int k = 0; k < n; k++) {
      if (k % p.columns() == 0) {
        figure.row();
      }
      figure.panel(RenderedImages.rgb(all.get(k), size), "ch " + k);
    }
    figure.write(ctx.outputDir().resolve("figure.png"));
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("layer", p.layer());
    values.put("image_size", size);
    values.put("channels", rows);
    return StepResult.of(values);
  }
}

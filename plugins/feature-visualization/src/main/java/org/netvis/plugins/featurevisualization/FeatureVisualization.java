package org.netvis.plugins.featurevisualization;

import java.nio.file.Path;
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
 * Feature visualization (Olah et al., "Feature Visualization", Distill 2017): images that maximize
 * an objective on internal units, rendered as Lucid does. Writes each image (unit-B.png), all of
 * them as [0, 1] RGB (images.npy), snapshots, a figure, and per image the value of every term on
 * the final image as the model sees it without transforms.
 */
public final class FeatureVisualization implements Technique<FeatureVisualizationParameters> {

  @Override
  public void check(Engine engine, FeatureVisualizationParameters p) {
    Renderer.check(engine, p.parsedObjective(), p.batchSize(), "objective");
  }

  @Override
  public StepResult run(StepContext ctx, FeatureVisualizationParameters p) throws Exception {
    Objective objective = p.parsedObjective().resolved(ctx.engine().layerLookup());
    int batch = p.batchSize();
    Renderer renderer = new Renderer(ctx.engine(), ctx.model().preprocessing());
    Path dir = ctx.outputDir();
    List<List<String>> snapshotFiles = new ArrayList<>();
    for (int b = 0; b < batch; b++) {
      snapshotFiles.add(new ArrayList<>());
    }
    Renderer.Rendered r;
    int size = p.imageSize() > 0 ? p.imageSize() : (int) ctx.engine().inputHeight();
    try (Progress progress = ctx.progress("feature visualization", p.steps())) {
      r = renderer.render(objective, batch, p.settings(), ctx.seed(), (step, images) -> {
        for (int b = 0; b < images.length; b++) {
          String file = String.format("unit-%d_iter%04d.png", b, step);
          RenderedImages.png(dir.resolve(file), images[b], size);
          snapshotFiles.get(b).add(file);
        }
      }, progress);
    }
    RenderedImages.npy(dir.resolve("images.npy"), r.images(), r.size());
    Figure figure = new Figure("feature visualization: " + p.parameterization().name().toLowerCase()
        + (p.decorrelate() ? " + decorrelate" : "") + ", " + p.steps() + " steps");
    List<Map<String, Object>> images = new ArrayList<>();
    for (int b = 0; b < batch; b++) {
      String file = "unit-" + b + ".png";
      RenderedImages.png(dir.resolve(file), r.images()[b], r.size());
      List<Map<String, Object>> terms = new ArrayList<>();
      List<String> titles = new ArrayList<>();
      for (int k = 0; k < objective.terms().size(); k++) {
        Objective.Term t = objective.terms().get(k);
        if (t.image() >= 0 && t.image() != b) {
          continue;
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("term", t.describe());
        e.put("value", r.values()[b][k]);
        terms.add(e);
        if (t.kind() != Objective.Kind.L2 && t.kind() != Objective.Kind.DIVERSITY) {
          titles.add(t.title());
        }
      }
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("image", file);
      e.put("objective", r.values()[b][objective.terms().size()]);
      e.put("terms", terms);
      e.put("high_frequency_energy", RenderedImages.highFrequencyEnergy(r.images()[b], r.size()));
      e.put("snapshots", snapshotFiles.get(b));
      images.add(e);
      if (b % 6 == 0) {
        figure.row();
      }
      figure.panel(RenderedImages.rgb(r.images()[b], r.size()), String.join(" + ", titles));
    }
    figure.write(dir.resolve("figure.png"));
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("image_size", r.size());
    values.put("images", images);
    return StepResult.of(values);
  }
}

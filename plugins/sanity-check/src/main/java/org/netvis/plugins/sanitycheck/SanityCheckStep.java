package org.netvis.plugins.sanitycheck;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.attribution.AttributionStep;
import org.netvis.engine.image.ColorMap;
import org.netvis.engine.image.Figure;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.runtime.Engine;
import jakarta.inject.Inject;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.Attributions;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.tensor.Tensor;

/**
 * The cascading model-randomization test: every listed method (found by id) on the original model
 * and on copies with 1, 2, ... layers redrawn from the logits down; per stage, the mean over images
 * of the Spearman rank correlation and SSIM of |attribution| maps against the original's.
 */
public final class SanityCheckStep implements Technique<SanityCheckParameters> {
  private final Attributions attributions;

  @Inject
  public SanityCheckStep(Attributions attributions) {
    this.attributions = attributions;
  }

  @Override
  public void check(Engine engine, SanityCheckParameters p) {
    attributions.checkListed(p.methods(), p.methodParams(),
        AttributionStep.StepAttributionContext.forCheck(engine, attributions));
  }

  @Override
  public StepResult run(StepContext ctx, SanityCheckParameters p) throws Exception {
    InputBatch in = ctx.inputs();
    int n = in.size();
    int h = (int) in.images().dim(2);
    int w = (int) in.images().dim(3);
    ModelProto model = ctx.engine().graph().proto();
    List<ModelRandomization.Layer> layers = ModelRandomization.layers(model);
    int stages = p.maxStages() == 0 ? layers.size() : Math.min(p.maxStages(), layers.size());
    Map<String, List<float[][]>> maps = new LinkedHashMap<>();
    for (String m : p.methods()) {
      maps.put(m, new ArrayList<>());
    }
    ModelProto randomized = model;
    Map<String, StageComparisons.ByStage> compared = new LinkedHashMap<>();
    // What each method settled on against the original model (the layer a Grad-CAM explains).
    Map<String, Map<String, Object>> settled = new LinkedHashMap<>();
    try (StageComparisons comparisons = new StageComparisons(h, w)) {
      for (int stage = 0; stage <= stages; stage++) {
        ctx.checkCancelled();
        Engine engine = ctx.engine();
        if (stage > 0) {
          // Each stage redraws one more layer of the stage before's model.
          randomized = ModelRandomization.withLayerRedrawn(randomized, layers, stage - 1, ctx.seed());
          engine = ctx.engine().openVariant(ctx.model().id() + "-randomized-" + stage + ".onnx", randomized);
        }
        try {
          for (String m : p.methods()) {
            var attributionContext = new AttributionStep.StepAttributionContext(engine, ctx.model(), ctx.seed(),
                attributions);
            Attribution a = attributions.createListed(m, p.methodParams(), attributionContext);
            if (stage == 0) {
              settled.put(m, attributionContext.settled());
            }
            Tensor t = a.attribute(in.images(), in.labels());
            float[][] perImage = new float[n][];
            for (int i = 0; i < n; i++) {
              perImage[i] = absChannelSum(t, i);
            }
            maps.get(m).add(perImage);
            comparisons.add(m, perImage);
          }
        } finally {
          if (stage > 0) {
            engine.close();
          }
        }
        ctx.log().info("sanity check: stage {} of {} ({})", stage, stages,
            stage == 0 ? "original" : layers.get(stage - 1).node());
      }
      for (String m : p.methods()) {
        compared.put(m, comparisons.of(m));
      }
    }
    List<String> stageNames = new ArrayList<>(List.of("original"));
    for (int k = 0; k < stages; k++) {
      stageNames.add(layers.get(k).node());
    }
    Map<String, Object> perMethod = new LinkedHashMap<>();
    int shown = Math.min(stages, 6);
    Figure figure = new Figure("Cascading randomization from the logits down: |attribution| of image 0, by stage");
    for (String m : p.methods()) {
      List<float[][]> byStage = maps.get(m);
      double[] spearman = compared.get(m).spearman();
      double[] ssim = compared.get(m).ssim();
      int mapH = StageComparisons.mapHeight(byStage.get(0)[0].length, h, w);
      int mapW = byStage.get(0)[0].length / mapH;
      Map<String, Object> r = new LinkedHashMap<>(settled.get(m));
      r.put("spearman", spearman);
      r.put("ssim", ssim);
      r.put("flagged", spearman[stages] > p.flagAbove());
      if (spearman[stages] > p.flagAbove()) {
        r.put("note", String.format("rank correlation %.2f with the original after %d randomized layers: the maps"
            + " barely depend on the model's parameters", spearman[stages], stages));
      }
      perMethod.put(m, r);
      figure.row();
      for (int col = 0; col <= shown; col++) {
        int s = shown == 0 ? 0 : (int) Math.round((double) col * stages / shown);
        figure.panel(ColorMap.HOT.apply(byStage.get(s)[0], mapW, mapH), m + " | " + (s == 0 ? "original"
            : s + " layer" + (s > 1 ? "s" : "")) + String.format(" (rho %.2f)", spearman[s]));
      }
    }
    if (n > 0) {
      figure.write(ctx.outputDir().resolve("figure.png"));
    }
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("stages", stageNames);
    values.put("layers_randomized_per_stage", "stage k redraws the parameters of the k layers nearest the logits");
    values.put("methods", perMethod);
    return StepResult.of(values);
  }

  private static float[] absChannelSum(Tensor t, int i) {
    int c = (int) t.dim(1);
    int hw = (int) (t.dim(2) * t.dim(3));
    float[] out = new float[hw];
    for (int ch = 0; ch < c; ch++) {
      int base = (i * c + ch) * hw;
      for (int k = 0; k < hw; k++) {
        out[k] += Math.abs(t.data()[base + k]);
      }
    }
    return out;
  }
}

package org.netvis.plugins.deletioninsertion;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.attribution.AttributionStep;
import org.netvis.engine.image.Figure;
import org.netvis.engine.image.LinePlot;
import org.netvis.engine.input.InputBatch;
import jakarta.inject.Inject;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.Attributions;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.tensor.Tensor;

/** Runs the listed attribution methods (found by id) or reads given maps, then both metrics for each. */
public final class DeletionInsertionStep implements Technique<DeletionInsertionParameters> {
  private final Attributions attributions;

  @Inject
  public DeletionInsertionStep(Attributions attributions) {
    this.attributions = attributions;
  }

  @Override
  public void check(Engine engine, DeletionInsertionParameters p) {
    attributions.checkListed(p.methods().stream().filter(m -> !m.endsWith(".npy")).toList(), p.methodParams(),
        AttributionStep.StepAttributionContext.forCheck(engine, attributions));
  }

  @Override
  @SuppressWarnings("unchecked")
  public StepResult run(StepContext ctx, DeletionInsertionParameters p) throws Exception {
    InputBatch in = ctx.inputs();
    int n = in.size();
    Tensor logits = ctx.engine().scores(in.images());
    long[] predicted = new long[n];
    for (int i = 0; i < n; i++) {
      predicted[i] = ClassScores.argmax(logits, i);
    }
    Map<String, Object> perMethod = new LinkedHashMap<>();
    // One map per image, as every per-image technique reports them: its class and each method's AUCs.
    List<Map<String, Object>> images = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> image = new LinkedHashMap<>();
      image.put("image", in.names().get(i));
      image.put("predicted", predicted[i]);
      image.put("deletion_auc", new LinkedHashMap<String, Object>());
      image.put("insertion_auc", new LinkedHashMap<String, Object>());
      images.add(image);
    }
    LinePlot deletionPlot = new LinePlot("fraction of pixels deleted", "p(class)", 1);
    LinePlot insertionPlot = new LinePlot("fraction of pixels inserted", "p(class)", 1);
    Path dir = ctx.outputDir();
    for (String method : p.methods()) {
      float[][] maps;
      // What the method settled on (the layer a Grad-CAM explains), for its entry in results.json.
      Map<String, Object> settled = Map.of();
      if (method.endsWith(".npy")) {
        maps = mapsFromFile(Path.of(method), n);
      } else {
        AttributionStep.StepAttributionContext context = AttributionStep.StepAttributionContext.of(ctx);
        Attribution a = attributions.createListed(method, p.methodParams(), context);
        settled = context.settled();
        // The metric explains the predicted class, as RISE does.
        Tensor attributions = a.attribute(in.images(), predicted);
        maps = new float[n][];
        for (int i = 0; i < n; i++) {
          maps[i] = AttributionStep.channelSum(attributions, i);
        }
      }
      List<DeletionInsertion.Curves> curves = DeletionInsertion.curves(ctx.engine(), in.images(), maps, predicted, p);
      String name = method.endsWith(".npy") ? Path.of(method).getFileName().toString() : method;
      double[] del = curves.stream().mapToDouble(DeletionInsertion.Curves::deletionAuc).toArray();
      double[] ins = curves.stream().mapToDouble(DeletionInsertion.Curves::insertionAuc).toArray();
      for (int i = 0; i < n; i++) {
        ((Map<String, Object>) images.get(i).get("deletion_auc")).put(name, del[i]);
        ((Map<String, Object>) images.get(i).get("insertion_auc")).put(name, ins[i]);
      }
      Map<String, Object> r = new LinkedHashMap<>(settled);
      r.put("deletion_auc_mean", mean(del));
      r.put("insertion_auc_mean", mean(ins));
      r.put("deletion_auc", del);
      r.put("insertion_auc", ins);
      perMethod.put(name, r);
      int points = curves.get(0).deletion().length;
      double[][] meanCurves = new double[2][points];
      for (DeletionInsertion.Curves c : curves) {
        for (int k = 0; k < points; k++) {
          meanCurves[0][k] += c.deletion()[k] / n;
          meanCurves[1][k] += c.insertion()[k] / n;
        }
      }
      deletionPlot.add(String.format("%s (AUC %.3f)", name, mean(del)), meanCurves[0], false);
      insertionPlot.add(String.format("%s (AUC %.3f)", name, mean(ins)), meanCurves[1], false);
      float[] all = new float[n * 2 * points];
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < points; k++) {
          all[(i * 2) * points + k] = (float) curves.get(i).deletion()[k];
          all[(i * 2 + 1) * points + k] = (float) curves.get(i).insertion()[k];
        }
      }
      Npy.write(dir.resolve(name.replace(".npy", "") + "_curves.npy"), new Tensor(new long[] {n, 2, points}, all));
    }
    new Figure("Deletion (lower is better) and insertion (higher is better), mean over " + n + " images")
        .row().panel(deletionPlot.render(420, 300 + 14 * p.methods().size()), "deletion")
        .panel(insertionPlot.render(420, 300 + 14 * p.methods().size()), "insertion")
        .write(dir.resolve("figure.png"));
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("explained_class", "the model's top-1 on each original image");
    values.put("predicted", predicted);
    values.put("pixels_per_step", p.pixelsPerStep());
    values.put("methods", perMethod);
    values.put("curves", "METHOD_curves.npy: (N, 2, steps + 1), deletion then insertion");
    values.put("images", images);
    return StepResult.of(values);
  }

  private static float[][] mapsFromFile(Path file, int n) throws java.io.IOException {
    NpyArray a = Npy.read(file);
    Tensor t = a.toTensor();
    if (t.dim(0) != n || (t.rank() != 3 && t.rank() != 4)) {
      throw new IllegalArgumentException("methods: " + file + " has shape " + java.util.Arrays.toString(t.shape())
          + "; expected (" + n + ", H, W) or (" + n + ", C, H, W)");
    }
    Tensor four = t.rank() == 3 ? t.reshape(t.dim(0), 1, t.dim(1), t.dim(2)) : t;
    float[][] maps = new float[n][];
    for (int i = 0; i < n; i++) {
      maps[i] = AttributionStep.channelSum(four, i);
    }
    return maps;
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return v.length == 0 ? 0 : s / v.length;
  }
}

package org.netvis.plugins.fooling;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.image.Figure;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.image.PngBatch;
import org.netvis.engine.image.RgbImage;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * Fooling images as in the CS231n assignment: from an image of class A, gradient ascent on the score
 * of class B with normalized steps {@code dX = lr * g / ||g||_2}, stopping as soon as the model
 * predicts B. Images run together in one batch; each has its own step and stops on its own.
 */
public final class Fooling implements Technique<FoolingParameters> {

  /** The outcome for one image; its logits before the first step come from that step's own forward pass. */
  public record Outcome(Tensor fooled, int iterations, boolean success, Tensor initialLogits, Tensor finalLogits) {}

  /** Told of each image as soon as its loop ends (its index in the batch), while the others go on. */
  public interface Finished {
    void accept(int index, Outcome outcome);
  }

  /**
   * Runs the loop for a batch. Iteration counts are the gradient steps taken before the model
   * predicted the target, like the reference's loop that checks the prediction before each step.
   */
  public static List<Outcome> fool(Engine engine, Tensor images, int target, double learningRate, int maxIterations,
      Progress progress) {
    return fool(engine, images, target, learningRate, maxIterations, progress, (i, o) -> {});
  }

  /** {@link #fool}, telling {@code finished} of each image as soon as its outcome is known. */
  public static List<Outcome> fool(Engine engine, Tensor images, int target, double learningRate, int maxIterations,
      Progress progress, Finished finished) {
    int n = (int) images.dim(0);
    int item = images.itemSize();
    float[] x = images.data().clone();
    Outcome[] outcomes = new Outcome[n];
    int classes = -1;
    List<Integer> active = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      active.add(i);
    }
    float[][] firstLogits = new float[n][];
    float[][] lastLogits = new float[n][];
    // The last step's batch of the images still running and its result, written over by the next
    // step while the same number run.
    Tensor gathered = null;
    VjpResult r = null;
    for (int step = 0; step <= maxIterations && !active.isEmpty(); step++) {
      // While every image is still active the working array is the batch itself: no copy.
      Tensor batch = active.size() == n ? new Tensor(images.shape(), x) : gather(x, active, gathered, images.shape(), item);
      gathered = batch;
      long[] targets = new long[active.size()];
      java.util.Arrays.fill(targets, target);
      r = step < maxIterations
          ? engine.vjp(batch, ClassScores.oneHot(targets, engine.classes()), r)
          : new VjpResult(engine.scores(batch), null);
      classes = (int) r.logits().dim(1);
      List<Integer> still = new ArrayList<>();
      for (int k = 0; k < active.size(); k++) {
        int i = active.get(k);
        lastLogits[i] = java.util.Arrays.copyOfRange(r.logits().data(), k * classes, (k + 1) * classes);
        if (step == 0) {
          firstLogits[i] = lastLogits[i];
        }
        boolean success = ClassScores.argmax(r.logits(), k) == target;
        if (success || step == maxIterations) {
          outcomes[i] = new Outcome(
              new Tensor(new long[] {1, images.dim(1), images.dim(2), images.dim(3)},
                  java.util.Arrays.copyOfRange(x, i * item, (i + 1) * item)),
              step, success, new Tensor(new long[] {1, classes}, firstLogits[i]),
              new Tensor(new long[] {1, classes}, lastLogits[i]));
          finished.accept(i, outcomes[i]);
          continue;
        }
        float[] g = r.inputGradient().data();
        double norm = Math.sqrt(sumOfSquares(g, k * item, item));
        if (!(norm > 0) || !Double.isFinite(norm)) {
          throw new IllegalStateException("the gradient of class " + target + " for image " + i + " is "
              + (norm == 0 ? "all zeros" : "not finite") + " at step " + step + "; cannot take a normalized step");
        }
        addScaled(x, i * item, g, k * item, item, (float) (learningRate / norm));
        still.add(i);
      }
      active = still;
      progress.step();
    }
    return List.of(outcomes);
  }

  // The two loops of a step as methods of their own: compiled once, early and on their own, they stay
  // compiled where the loop around them is deoptimized (its first image to finish takes a branch not
  // seen before), which sent them back to the interpreter for several steps.
  private static double sumOfSquares(float[] a, int from, int length) {
    double sum = 0;
    for (int j = from; j < from + length; j++) {
      sum += (double) a[j] * a[j];
    }
    return sum;
  }

  private static void addScaled(float[] x, int xFrom, float[] g, int gFrom, int length, float scale) {
    for (int j = 0; j < length; j++) {
      x[xFrom + j] += g[gFrom + j] * scale;
    }
  }

  /**
   * The rows of {@code x}, into {@code reuse} where it has as many (never {@code x} itself, which has
   * every image's row: a gather always has fewer).
   */
  private static Tensor gather(float[] x, List<Integer> rows, Tensor reuse, long[] shape, int item) {
    long[] s = shape.clone();
    s[0] = rows.size();
    float[] out = reuse != null && reuse.dim(0) == rows.size() ? reuse.data() : new float[rows.size() * item];
    for (int k = 0; k < rows.size(); k++) {
      System.arraycopy(x, rows.get(k) * item, out, k * item, item);
    }
    return new Tensor(s, out);
  }

  @Override
  public StepResult run(StepContext ctx, FoolingParameters p) throws Exception {
    InputBatch in = ctx.inputs();
    Preprocessing pre = ctx.model().preprocessing();
    Engine engine = ctx.engine();
    Path dir = ctx.outputDir();
    int n = in.size();
    List<Outcome> outcomes = new ArrayList<>();
    List<Panels> panels;
    Tensor afterPng;
    try (ImageOutputs outputs = new ImageOutputs()) {
      try (Progress progress = ctx.progress("fooling", (long) Math.ceil((double) n / p.batchSize()) * (p.maxIterations() + 1))) {
        for (int start = 0; start < n; start += p.batchSize()) {
          int end = Math.min(n, start + p.batchSize());
          int offset = start;
          outcomes.addAll(fool(engine, in.images().slice(start, end), p.target(), p.learningRate(), p.maxIterations(),
              progress, (k, o) -> outputs.start(() -> panels(offset + k, in.images().slice(offset + k, offset + k + 1),
                  o.fooled(), pre), dir)));
        }
      }
      outputs.write(dir.resolve("fooling.npy"), Tensor.concat(outcomes.stream().map(Outcome::fooled).toList()));
      // In the order the images finished: put back in input order.
      panels = outputs.pictures().stream().sorted(java.util.Comparator.comparingInt(Panels::index)).toList();
      Figure figure = new Figure("Fooling images: target " + p.target() + " (" + ctx.model().className(p.target()) + ")");
      for (Panels q : panels) {
        figure.row()
            .panel(q.original(), ctx.model().className((int) in.labels()[q.index()]))
            .panel(q.fooled(), ctx.model().className(ClassScores.argmax(outcomes.get(q.index()).finalLogits(), 0)))
            .panel(q.difference(), "Difference")
            .panel(q.difference10(), "Magnified difference (10x)");
      }
      // Does the 8-bit PNG still fool the model? Quantization can undo a small perturbation. One
      // batch for all, run while the figure (and the last images' files) are written.
      try (PngBatch.Writing writing = new PngBatch().add(dir.resolve("figure.png"), figure).start()) {
        afterPng = engine.scores(Tensor.concat(panels.stream().map(q -> Pixels.normalize(q.fooled(), pre)).toList()));
      }
    }
    List<Map<String, Object>> results = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Outcome o = outcomes.get(i);
      Panels q = panels.get(i);
      double[] prob = ClassScores.softmax(o.finalLogits(), 0);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("image", in.names().get(i));
      r.put("source_label", in.labels()[i]);
      r.put("source_class", ctx.model().className((int) in.labels()[i]));
      int predictedBefore = ClassScores.argmax(o.initialLogits(), 0);
      r.put("prediction_before", predictedBefore);
      r.put("prediction_before_class", ctx.model().className(predictedBefore));
      r.put("target", p.target());
      r.put("target_class", ctx.model().className(p.target()));
      r.put("iterations", o.iterations());
      r.put("fooled", o.success());
      r.put("prediction_after", ClassScores.argmax(o.finalLogits(), 0));
      r.put("target_probability", prob[p.target()]);
      r.put("perturbation_l2", q.norms()[0]);
      r.put("perturbation_linf", q.norms()[1]);
      r.put("files", q.files());
      int predictedAfterPng = ClassScores.argmax(afterPng, i);
      r.put("fooled_after_png", predictedAfterPng == p.target());
      r.put("prediction_after_png", predictedAfterPng);
      results.add(r);
    }
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("target", p.target());
    values.put("target_class", ctx.model().className(p.target()));
    values.put("fooled", results.stream().filter(r -> (Boolean) r.get("fooled")).count());
    values.put("images", results);
    return StepResult.of(values);
  }

  /**
   * Image {@code index}'s figure row (its last three panels are also its PNG files, named in
   * {@code files}) and its perturbation norms.
   */
  record Panels(int index, RgbImage original, RgbImage fooled, RgbImage difference, RgbImage difference10,
      List<String> files, double[] norms) {
    List<RgbImage> images() {
      return List.of(fooled, difference, difference10);
    }
  }

  private static Panels panels(int index, Tensor original, Tensor fooled, Preprocessing pre) {
    Tensor delta = difference(fooled, original);
    String stem = String.format("%02d", index);
    // As in the assignment: the difference de-normalized without rescaling, and magnified 10x.
    return new Panels(index, Pixels.toRgb8(original, 0, pre), Pixels.toRgb8(fooled, 0, pre),
        Pixels.toRgb8(delta, 0, pre), Pixels.toRgb8(scale(delta, 10f), 0, pre),
        List.of(stem + "_fooling.png", stem + "_difference.png", stem + "_difference_x10.png"), pixelNorms(delta, pre));
  }

  static Tensor difference(Tensor a, Tensor b) {
    float[] d = new float[a.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = a.data()[i] - b.data()[i];
    }
    return new Tensor(a.shape(), d);
  }

  static Tensor scale(Tensor t, float s) {
    float[] d = new float[t.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = t.data()[i] * s;
    }
    return new Tensor(t.shape(), d);
  }

  /** L2 and L-infinity norms of a normalized-space perturbation in [0, 1] pixel units (times std). */
  static double[] pixelNorms(Tensor delta, Preprocessing pre) {
    int hw = (int) (delta.dim(2) * delta.dim(3));
    double l2 = 0;
    double linf = 0;
    for (int c = 0; c < delta.dim(1); c++) {
      double std = pre.std().get(c);
      for (int k = 0; k < hw; k++) {
        double v = delta.data()[c * hw + k] * std;
        l2 += v * v;
        linf = Math.max(linf, Math.abs(v));
      }
    }
    return new double[] {Math.sqrt(l2), linf};
  }
}

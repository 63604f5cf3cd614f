package org.netvis.plugins.classvisualization;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.image.PngBatch;
import org.netvis.engine.image.RgbImage;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;

/**
 * Class visualization exactly as the reference loop: start from N(0, 1) noise; each iteration roll
 * by a random (ox, oy) in [0, max_jitter], take a normalized gradient step on
 * {@code s_y(I) - l2_reg * ||I||^2}, roll back, clamp every channel to the valid pixel range, and
 * every {@code blur_every} iterations (from 0) blur. All targets run as one batch; each target draws
 * its noise and jitter from its own seed, so batching does not change the result.
 */
public final class ClassVisualization implements Technique<ClassVisualizationParameters> {

  /** A snapshot callback: iteration (1-based) and the current batch. */
  public interface Snapshots {
    void at(int iteration, float[][] images);
  }

  /** Runs the loop and returns the final images, one [C, H, W] array per target. */
  public static float[][] visualize(Engine engine, Preprocessing pre, ClassVisualizationParameters p, long seed, int size,
      Snapshots snapshots, Progress progress) {
    int n = p.targets().size();
    int c = (int) engine.channels();
    int item = c * size * size;
    Random[] random = new Random[n];
    float[][] images = new float[n][];
    // Each target's noise from its own generator, on its own thread.
    IntStream.range(0, n).parallel().forEach(t -> {
      random[t] = SeededRandom.forItem(seed, t);
      images[t] = new float[item];
      for (int i = 0; i < item; i++) {
        images[t][i] = (float) random[t].nextGaussian();
      }
    });
    float[][] range = Pixels.validRange(pre);
    long[] targets = p.targets().stream().mapToLong(Integer::longValue).toArray();
    Tensor cotangent = ClassScores.oneHot(targets, engine.classes());
    // One batch array, reused by every iteration, and each target's scratch for its blur.
    float[] batch = new float[n * item];
    float[][] blurScratch = new float[n][item];
    float decay = (float) (2 * p.l2Reg());
    VjpResult r = null;
    for (int it = 0; it < p.numIterations(); it++) {
      int[] ox = new int[n];
      int[] oy = new int[n];
      for (int t = 0; t < n; t++) {
        ox[t] = random[t].nextInt(p.maxJitter() + 1);
        oy[t] = random[t].nextInt(p.maxJitter() + 1);
        org.netvis.engine.image.Roll.into(images[t], 0, batch, t * item, c, size, size, ox[t], oy[t]);
      }
      Tensor x = new Tensor(new long[] {n, c, size, size}, batch);
      r = engine.vjp(x, cotangent, r);
      float[] g = r.inputGradient().data();
      int iteration = it;
      // Each target's update on its own thread, while ONNX Runtime's threads wait for the next run.
      IntStream.range(0, n).parallel().forEach(t -> {
        // d/dI [s_y(I) - l2_reg * ||I||^2] = ds_y/dI - 2 l2_reg I, then a step of lr * g / ||g||,
        // in float32 like the reference (only the norm's sum is kept in double).
        int o = t * item;
        double norm = 0;
        for (int i = 0; i < item; i++) {
          float full = g[o + i] - decay * batch[o + i];
          g[o + i] = full;
          norm += (double) full * full;
        }
        norm = Math.sqrt(norm);
        if (!(norm > 0) || !Double.isFinite(norm)) {
          throw new IllegalStateException("the gradient for class " + targets[t] + " is "
              + (norm == 0 ? "all zeros" : "not finite") + " at iteration " + iteration
              + "; cannot take a normalized step");
        }
        float scale = (float) (p.learningRate() / norm);
        stepRollBackAndClamp(batch, o, g, scale, images[t], c, size, -ox[t], -oy[t], range);
        if (iteration % p.blurEvery() == 0) {
          org.netvis.engine.image.GaussianBlur.blurInPlace(images[t], blurScratch[t], c, size, size, p.blurSigma());
        }
      });
      if (snapshots != null && ((it + 1) % p.showEvery() == 0 || it == p.numIterations() - 1)) {
        snapshots.at(it + 1, images);
      }
      progress.step();
    }
    return images;
  }

  /**
   * The step {@code x + g * scale} of the rolled image at {@code offset} in {@code rolled}, clamped per
   * channel there (overwriting it), then rolled back by (dx, dy) into {@code image}: the same floats as
   * the step, {@link org.netvis.engine.image.Roll} and the clamp one after the other, since the clamp
   * is per channel. The step runs along whole planes, which the JIT vectorizes, and the roll is
   * row copies: 0.41 -> 0.05 ms for a 3 x 224 x 224 image, where splitting every row at the roll's
   * seam kept the fused loop scalar.
   */
  static void stepRollBackAndClamp(float[] rolled, int offset, float[] g, float scale, float[] image, int channels,
      int size, int dx, int dy, float[][] range) {
    int plane = size * size;
    for (int ch = 0; ch < channels; ch++) {
      float low = range[0][ch];
      float high = range[1][ch];
      int end = offset + (ch + 1) * plane;
      for (int i = offset + ch * plane; i < end; i++) {
        rolled[i] = Math.max(low, Math.min(high, rolled[i] + g[i] * scale));
      }
    }
    org.netvis.engine.image.Roll.into(rolled, offset, image, 0, channels, size, size, dx, dy);
  }

  @Override
  public StepResult run(StepContext ctx, ClassVisualizationParameters p) throws Exception {
    Engine engine = ctx.engine();
    Preprocessing pre = ctx.model().preprocessing();
    int size = p.imageSize() == 0 ? (int) engine.inputHeight() : p.imageSize();
    List<String> stems = new ArrayList<>();
    for (int t : p.targets()) {
      stems.add(t + "-" + ctx.model().className(t).split(",")[0].trim().replaceAll("[^A-Za-z0-9._-]", "_"));
    }
    List<List<String>> snapshotFiles = new ArrayList<>();
    p.targets().forEach(t -> snapshotFiles.add(new ArrayList<>()));
    // The loop always shows its last iteration, whose pictures are the final images': drawn once.
    RgbImage[] lastShown = new RgbImage[p.targets().size()];
    int c = (int) engine.channels();
    Path dir = ctx.outputDir();
    // Every PNG batch is written while the step's work goes on (the snapshots beside the loop, the
    // final images beside their forward pass); the step ends, or fails, only once all are written.
    List<PngBatch.Writing> writes = new ArrayList<>();
    try (AutoCloseable written = () -> PngBatch.Writing.closeAll(writes)) {
      float[][] images;
      try (Progress progress = ctx.progress("class visualization", p.numIterations())) {
        images = visualize(engine, pre, p, ctx.seed(), size, (iteration, current) -> {
          PngBatch snapshot = new PngBatch();
          for (int t = 0; t < current.length; t++) {
            String file = stems.get(t) + "_iter" + String.format("%04d", iteration) + ".png";
            lastShown[t] = rescaled(current[t], c, size, pre);
            snapshot.add(dir.resolve(file), lastShown[t]);
            snapshotFiles.get(t).add(file);
          }
          writes.add(snapshot.start());
        }, progress);
      }
      int n = images.length;
      float[] all = new float[n * c * size * size];
      for (int t = 0; t < n; t++) {
        System.arraycopy(images[t], 0, all, t * images[t].length, images[t].length);
      }
      Tensor batch = new Tensor(new long[] {n, c, size, size}, all);
      PngBatch files = new PngBatch();
      for (int t = 0; t < n; t++) {
        Npy.write(dir.resolve(stems.get(t) + ".npy"), batch.slice(t, t + 1));
        files.add(dir.resolve(stems.get(t) + ".png"), lastShown[t]);
      }
      writes.add(files.start());
      Tensor logits = engine.scores(batch);
      List<Map<String, Object>> results = new ArrayList<>();
      for (int t = 0; t < n; t++) {
        int target = p.targets().get(t);
        double[] prob = ClassScores.softmax(logits, t);
        List<Map<String, Object>> top5 = new ArrayList<>();
        for (int k : ClassScores.topK(prob, 5)) {
          Map<String, Object> e = new LinkedHashMap<>();
          e.put("class", k);
          e.put("class_name", ctx.model().className(k));
          e.put("probability", prob[k]);
          top5.add(e);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("target", target);
        r.put("class_name", ctx.model().className(target));
        r.put("target_probability", prob[target]);
        r.put("top1", ClassScores.argmax(logits, t));
        r.put("top5", top5);
        r.put("image", stems.get(t) + ".png");
        r.put("array", stems.get(t) + ".npy");
        r.put("snapshots", snapshotFiles.get(t));
        results.add(r);
      }
      Map<String, Object> values = new LinkedHashMap<>();
      values.put("image_size", size);
      values.put("classes", results);
      return StepResult.of(values);
    }
  }

  /** De-normalized and rescaled to [0, 1] by its own min and max, as the assignment shows it. */
  static RgbImage rescaled(float[] image, int c, int size, Preprocessing pre) {
    int hw = size * size;
    float[][] planar = new float[c][hw];
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (int ch = 0; ch < c; ch++) {
      // The channel's constants out of the loop: this runs once per picture, mostly interpreted.
      double std = pre.std().get(ch);
      double mean = pre.mean().get(ch);
      for (int i = 0; i < hw; i++) {
        double v = image[ch * hw + i] * std + mean;
        planar[ch][i] = (float) v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    double range = max > min ? max - min : 1;
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < hw; i++) {
        planar[ch][i] = (float) ((planar[ch][i] - min) / range);
      }
    }
    return Pixels.toRgb8(planar, size, size);
  }
}

package org.netvis.plugins.occlusion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's Occlusion: windows start every stride along each axis, ceil((size - window) / stride) + 1
 * of them, the last one cropped at the border; every element gets the mean, over the windows that
 * cover it, of score(original) - score(occluded) for the target. Occluded copies of all images run
 * through the model {@code perturbations_per_eval} at a time.
 */
final class Occlusion implements Attribution {
  private final Engine engine;
  private final OcclusionProvider.Parameters p;

  Occlusion(Engine engine, OcclusionProvider.Parameters p) {
    this.engine = engine;
    this.p = p;
    // Against the model's input size now, so that a window that cannot fit fails before any step runs.
    counts(new long[] {engine.channels(), engine.inputHeight(), engine.inputWidth()}, p.window(), p.strides());
  }

  /** A window: its start and end (exclusive) along channels, height and width. */
  private record Window(int[] start, int[] end) {}

  static int[] counts(long[] dims, List<Integer> window, List<Integer> strides) {
    int[] counts = new int[3];
    for (int a = 0; a < 3; a++) {
      long rest = dims[a] - window.get(a);
      if (rest < 0) {
        throw new IllegalArgumentException("window: " + window + " is larger than the input " + Arrays.toString(dims));
      }
      if (rest > 0 && strides.get(a) > window.get(a)) {
        throw new IllegalArgumentException("strides: " + strides.get(a) + " is larger than the window's "
            + window.get(a) + " along axis " + a + ", which would leave elements unoccluded");
      }
      counts[a] = (int) Math.ceil((double) rest / strides.get(a)) + 1;
    }
    return counts;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    long[] dims = {inputs.dim(1), inputs.dim(2), inputs.dim(3)};
    int[] counts = counts(dims, p.window(), p.strides());
    List<Window> windows = new ArrayList<>();
    for (int c = 0; c < counts[0]; c++) {
      for (int y = 0; y < counts[1]; y++) {
        for (int x = 0; x < counts[2]; x++) {
          int[] start = {c * p.strides().get(0), y * p.strides().get(1), x * p.strides().get(2)};
          int[] end = new int[3];
          for (int a = 0; a < 3; a++) {
            end[a] = (int) Math.min(dims[a], start[a] + p.window().get(a));
          }
          windows.add(new Window(start, end));
        }
      }
    }
    int batch = Math.min(p.perturbationsPerEval(), Math.max(1, n));
    double[] original = TargetGradients.scores(engine, inputs, targets, batch);
    int item = inputs.itemSize();
    int h = (int) dims[1];
    int w = (int) dims[2];
    double[] total = new double[n * item];
    int[] covered = new int[item];
    for (Window win : windows) {
      forEach(win, h, w, k -> covered[k]++);
    }
    int pairs = n * windows.size();
    float baseline = (float) p.baseline();
    // One array of occluded images for every full batch: each pair's copy overwrites its whole slot,
    // and a fresh 64-image array per batch (38.5 MB at 224 x 224) kept the collector busy.
    float[] occluded = new float[0];
    for (int start = 0; start < pairs; start += p.perturbationsPerEval()) {
      int end = Math.min(pairs, start + p.perturbationsPerEval());
      if (occluded.length != (end - start) * item) {
        occluded = new float[(end - start) * item];
      }
      float[] batchImages = occluded;
      long[] pairTargets = new long[end - start];
      for (int q = start; q < end; q++) {
        int image = q / windows.size();
        int dst = (q - start) * item;
        System.arraycopy(inputs.data(), image * item, batchImages, dst, item);
        forEach(windows.get(q % windows.size()), h, w, k -> batchImages[dst + k] = baseline);
        pairTargets[q - start] = targets[image];
      }
      long[] shape = inputs.shape().clone();
      shape[0] = end - start;
      double[] scores = TargetGradients.scores(engine, new Tensor(shape, occluded), pairTargets, end - start);
      for (int q = start; q < end; q++) {
        int image = q / windows.size();
        double drop = original[image] - scores[q - start];
        forEach(windows.get(q % windows.size()), h, w, k -> total[image * item + k] += drop);
      }
    }
    float[] out = new float[n * item];
    for (int j = 0; j < out.length; j++) {
      out[j] = (float) (total[j] / covered[j % item]);
    }
    return new Tensor(inputs.shape(), out);
  }

  private static void forEach(Window win, int h, int w, java.util.function.IntConsumer action) {
    for (int c = win.start()[0]; c < win.end()[0]; c++) {
      for (int y = win.start()[1]; y < win.end()[1]; y++) {
        for (int x = win.start()[2]; x < win.end()[2]; x++) {
          action.accept((c * h + y) * w + x);
        }
      }
    }
  }
}

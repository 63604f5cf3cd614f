package org.netvis.plugins.deletioninsertion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.netvis.engine.image.GaussianBlur;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.FloatOrder;
import org.netvis.engine.tensor.Tensor;

/**
 * The deletion and insertion metrics of RISE (Petsiuk et al. 2018). Pixels are ranked by a 2-D map
 * (stable, descending). Deletion replaces {@code pixels_per_step} pixels per step, in all channels,
 * with zeros of the normalized space; insertion starts from a blurred copy and puts the original
 * pixels back in the same order. Each curve is the softmax probability of the class the model
 * predicts on the original image, step 0 included, and its AUC the trapezoid rule over [0, 1].
 */
public final class DeletionInsertion {
  private DeletionInsertion() {}

  /** Both curves of one image and their areas. */
  public record Curves(double[] deletion, double[] insertion, double deletionAuc, double insertionAuc) {}

  /** Pixel indices by descending map value, ties in index order. */
  static int[] ranking(float[] map) {
    return FloatOrder.descending(map);
  }

  /** RISE's area: (sum - first/2 - last/2) / (n - 1). */
  public static double auc(double[] curve) {
    if (curve.length < 2) {
      return curve.length == 1 ? curve[0] : 0;
    }
    double s = 0;
    for (double v : curve) {
      s += v;
    }
    return (s - curve[0] / 2 - curve[curve.length - 1] / 2) / (curve.length - 1);
  }

  /** RISE's blur kernel: scipy's gaussian_filter of a centred impulse on a k x k grid. */
  static float[] kernel(int k, double sigma) {
    float[] impulse = new float[k * k];
    impulse[(k / 2) * k + k / 2] = 1;
    return GaussianBlur.blur(impulse, 1, k, k, sigma);
  }

  /** Each channel convolved with the kernel, zero padding k / 2 (RISE's conv2d). */
  static float[] blurred(float[] image, int c, int h, int w, float[] kernel, int k) {
    float[] out = new float[image.length];
    // An output row's sums, the taps outermost over the columns they reach: each pixel still adds its
    // taps in row-major order (the same floats), without a bounds test per tap (2-3x faster).
    double[] sums = new double[w];
    int r = k / 2;
    for (int ch = 0; ch < c; ch++) {
      int base = ch * h * w;
      for (int y = 0; y < h; y++) {
        Arrays.fill(sums, 0);
        for (int dy = Math.max(0, r - y); dy < Math.min(k, h + r - y); dy++) {
          int row = base + (y + dy - r) * w;
          for (int dx = 0; dx < k; dx++) {
            float weight = kernel[dy * k + dx];
            int shift = row + dx - r;
            int to = Math.min(w, w + r - dx);
            for (int x = Math.max(0, r - dx); x < to; x++) {
              sums[x] += weight * image[shift + x];
            }
          }
        }
        for (int x = 0; x < w; x++) {
          out[base + y * w + x] = (float) sums[x];
        }
      }
    }
    return out;
  }

  /**
   * The curves of every image for its map (N, H, W flattened per image), all perturbed images run in
   * batches of {@code batchSize}.
   */
  public static List<Curves> curves(Engine engine, Tensor images, float[][] maps, DeletionInsertionParameters p) {
    Tensor logits = engine.scores(images);
    long[] predicted = new long[(int) images.dim(0)];
    for (int i = 0; i < predicted.length; i++) {
      predicted[i] = ClassScores.argmax(logits, i);
    }
    return curves(engine, images, maps, predicted, p);
  }

  /** The same with the classes to follow given (the model's top-1 on each original image). */
  public static List<Curves> curves(Engine engine, Tensor images, float[][] maps, long[] predicted,
      DeletionInsertionParameters p) {
    int n = (int) images.dim(0);
    int c = (int) images.dim(1);
    int h = (int) images.dim(2);
    int w = (int) images.dim(3);
    int hw = h * w;
    int item = c * hw;
    int steps = (hw + p.pixelsPerStep() - 1) / p.pixelsPerStep();
    int points = steps + 1;
    float[] kernel = kernel(p.blurKernel(), p.blurSigma());
    List<Curves> out = new ArrayList<>();
    // Every curve runs the same batches, full ones and a shorter last one: an array of perturbed images
    // for each of the two sizes, every slot overwritten whole. A fresh one per forward pass kept the
    // collector busy (as in occlusion), and so did one array reallocated whenever the size changed, twice
    // a curve (the step's 3.1-7.7 s outside ONNX Runtime became 3.6-3.9 s; bench/README.md, fifty-fourth
    // session).
    float[] fullBatch = null;
    float[] lastBatch = null;
    for (int i = 0; i < n; i++) {
      int target = (int) predicted[i];
      int[] order = ranking(maps[i]);
      float[] original = Arrays.copyOfRange(images.data(), i * item, (i + 1) * item);
      float[] blurred = blurred(original, c, h, w, kernel, p.blurKernel());
      double[][] curves = new double[2][points];
      for (int kind = 0; kind < 2; kind++) {
        boolean deletion = kind == 0;
        // Each step's image is the step before's with the next pixels changed.
        float[] step = deletion ? original.clone() : blurred.clone();
        int changed = 0;
        for (int start = 0; start < points; start += p.batchSize()) {
          int end = Math.min(points, start + p.batchSize());
          boolean full = end - start == p.batchSize();
          if (full && fullBatch == null) {
            fullBatch = new float[p.batchSize() * item];
          } else if (!full && lastBatch == null) {
            lastBatch = new float[(end - start) * item];
          }
          float[] batch = full ? fullBatch : lastBatch;
          for (int s = start; s < end; s++) {
            for (int next = Math.min(hw, s * p.pixelsPerStep()); changed < next; changed++) {
              int px = order[changed];
              for (int ch = 0; ch < c; ch++) {
                step[ch * hw + px] = deletion ? 0f : original[ch * hw + px];
              }
            }
            System.arraycopy(step, 0, batch, (s - start) * item, item);
          }
          Tensor scores = engine.scores(new Tensor(new long[] {end - start, c, h, w}, batch));
          for (int s = start; s < end; s++) {
            curves[kind][s] = ClassScores.softmax(scores, s - start)[target];
          }
        }
      }
      out.add(new Curves(curves[0], curves[1], auc(curves[0]), auc(curves[1])));
    }
    return out;
  }
}

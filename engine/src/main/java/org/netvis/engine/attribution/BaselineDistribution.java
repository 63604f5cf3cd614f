package org.netvis.engine.attribution;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * A list of baselines read as one distribution of images: zeros, black, blur and uniform one image
 * each, an {@code .npy} file its K images. GradientSHAP draws from it; DeepLIFT SHAP takes every image
 * of it for every input.
 */
public final class BaselineDistribution {
  public static final String ALL = "the baseline distribution, every one used for every image: zeros, black, blur and"
      + " uniform count as one baseline each (uniform: pixel noise from the image's seed), an .npy of shape (C, H, W)"
      + " or (K, C, H, W) in the normalized space as its K images";

  private final List<Baseline> entries = new ArrayList<>();
  /** The index of each entry's first image in the distribution. */
  private final int[] firsts;
  private final int size;

  private BaselineDistribution(List<Baseline> entries) {
    this.entries.addAll(entries);
    firsts = new int[entries.size()];
    int k = 0;
    for (int i = 0; i < entries.size(); i++) {
      firsts[i] = k;
      k += entries.get(i).count();
    }
    size = k;
  }

  /** The distribution a {@code baselines} parameter names, each entry checked as {@code baselines[i]}. */
  public static BaselineDistribution of(List<String> names, double blurSigma, AttributionContext ctx) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("baselines: the list is empty; expected at least one baseline");
    }
    List<Baseline> entries = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      entries.add(Baseline.of("baselines[" + i + "]", names.get(i), blurSigma, ctx));
    }
    return new BaselineDistribution(entries);
  }

  /** The distribution's images. */
  public int size() {
    return size;
  }

  /**
   * Writes the distribution's image {@code j} for input image {@code image} into {@code out} at
   * {@code offset}; a uniform entry draws its pixels from {@code random}.
   */
  public void write(Tensor inputs, int image, int j, Random random, float[] out, int offset) {
    int entry = entryOf(j);
    entries.get(entry).write(inputs, image, j - firsts[entry], random, out, offset);
  }

  /** The entry that holds the distribution's image {@code j}. */
  private int entryOf(int j) {
    int entry = entries.size() - 1;
    while (firsts[entry] > j) {
      entry--;
    }
    return entry;
  }

  /** The distribution over one batch of inputs, drawn from many times ({@link Over}). */
  public Over over(Tensor inputs) {
    return new Over(inputs);
  }

  /**
   * The distribution over one batch of inputs, which must not change while it is drawn from: each
   * image's blurred baseline is computed at its first draw and kept. Why: GradientSHAP draws an image's
   * blur baseline at about half its draws, and a sigma-5 blur of a 224 x 224 image costs 10-20 ms (most
   * of GradientSHAP's Java samples were the blur; its steps' time outside ONNX Runtime fell by up to 1.3 s;
   * bench/README.md, fifty-fourth session). Images may be drawn from on several threads.
   */
  public final class Over {
    private final Tensor inputs;
    private final AtomicReferenceArray<float[]> blurred;

    private Over(Tensor inputs) {
      this.inputs = inputs;
      this.blurred = new AtomicReferenceArray<>(entries.size() * (int) inputs.dim(0));
    }

    /** {@link BaselineDistribution#write} for these inputs. */
    public void write(int image, int j, Random random, float[] out, int offset) {
      int entry = entryOf(j);
      Baseline baseline = entries.get(entry);
      if (!baseline.blur()) {
        baseline.write(inputs, image, j - firsts[entry], random, out, offset);
        return;
      }
      int slot = image * entries.size() + entry;
      float[] blur = blurred.get(slot);
      if (blur == null) {
        blur = baseline.blurred(inputs, image);
        blurred.set(slot, blur);
      }
      System.arraycopy(blur, 0, out, offset, blur.length);
    }
  }

  /**
   * Every image of the distribution for every input: {@link #size()} tensors shaped as the inputs,
   * reference k of image i in row i of the k-th; uniform noise from each image's own generator, in order.
   */
  public List<Tensor> forEachImage(Tensor inputs, AttributionContext ctx) {
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    List<float[]> out = new ArrayList<>();
    for (int j = 0; j < size; j++) {
      out.add(new float[n * item]);
    }
    for (int i = 0; i < n; i++) {
      Random random = SeededRandom.forItem(ctx.seed(), ctx.itemIndex(i));
      for (int j = 0; j < size; j++) {
        write(inputs, i, j, random, out.get(j), i * item);
      }
    }
    return out.stream().map(values -> new Tensor(inputs.shape(), values)).toList();
  }

  /** Each image's value at the input and its mean over the image's references, for a delta against them all. */
  public static ConvergenceDelta.Ends ends(Tensor inputs, List<Tensor> references, long[] targets,
      ImageValues values) {
    int n = (int) inputs.dim(0);
    double[] atReferences = new double[n];
    for (Tensor reference : references) {
      double[] v = values.at(reference, targets);
      for (int i = 0; i < n; i++) {
        atReferences[i] += v[i] / references.size();
      }
    }
    return new ConvergenceDelta.Ends(values.at(inputs, targets), atReferences);
  }

  /** {@link #ends} of the target scores, in forward passes of at most batchSize images. */
  public static ConvergenceDelta.Ends scoreEnds(Engine engine, Tensor inputs, List<Tensor> references, long[] targets,
      int batchSize) {
    return ends(inputs, references, targets,
        (images, imageTargets) -> TargetGradients.scores(engine, images, imageTargets, batchSize));
  }
}

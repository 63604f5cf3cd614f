package org.netvis.engine.attribution;

import java.util.ArrayList;
import java.util.List;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Tensor;

/**
 * The (image, reference) pairs a DeepLIFT gradient graph reads ({@link VjpSpec#pairedRows}): pair q
 * is image q / k beside its reference q % k, in rows 2q and 2q + 1, so that an image's pairs are
 * consecutive; in chunks that a gradient call runs whole.
 *
 * @param first the chunk's first pair
 * @param count its pairs
 * @param references per image (k)
 */
public record ReferencePairs(int first, int count, int references) {

  /** Each image's references: K tensors shaped as the inputs, reference k of image i in row i of the k-th. */
  public interface References {
    List<Tensor> of(Tensor inputs);
  }

  /** Every pair of n images with k references each, in chunks of at most the pairs one call takes. */
  public static List<ReferencePairs> of(Engine engine, int n, int k, int imagesPerCall) {
    return of(n, k, Math.max(1, engine.gradientCallSize(2 * imagesPerCall) / 2));
  }

  /** Every pair of n images with k references each, in chunks of {@code perCall} pairs. */
  public static List<ReferencePairs> of(int n, int k, int perCall) {
    List<ReferencePairs> out = new ArrayList<>();
    for (int start = 0; start < n * k; start += perCall) {
      out.add(new ReferencePairs(start, Math.min(n * k, start + perCall) - start, k));
    }
    return out;
  }

  /** The image of the chunk's pair p. */
  public int image(int p) {
    return (first + p) / references;
  }

  /** The reference (its index among the image's) of the chunk's pair p. */
  public int reference(int p) {
    return (first + p) % references;
  }

  /** The chunk's rows: image, reference, image, reference, ... ({@code refs.get(r)} row i: image i's r-th). */
  public Tensor rows(Tensor inputs, List<Tensor> refs) {
    int item = inputs.itemSize();
    float[] rows = new float[2 * count * item];
    for (int p = 0; p < count; p++) {
      System.arraycopy(inputs.data(), image(p) * item, rows, 2 * p * item, item);
      System.arraycopy(refs.get(reference(p)).data(), image(p) * item, rows, (2 * p + 1) * item, item);
    }
    long[] shape = inputs.shape().clone();
    shape[0] = 2L * count;
    return new Tensor(shape, rows);
  }

  /** Each row's target: its image's, for the image and its reference alike (Captum's doubled batch). */
  public long[] targets(long[] imageTargets) {
    long[] out = new long[2 * count];
    for (int p = 0; p < count; p++) {
      out[2 * p] = imageTargets[image(p)];
      out[2 * p + 1] = imageTargets[image(p)];
    }
    return out;
  }
}

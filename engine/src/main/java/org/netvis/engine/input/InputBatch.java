package org.netvis.engine.input;

import java.util.List;
import org.netvis.engine.tensor.Tensor;

/**
 * The images of an experiment as one batch in the model's normalized space.
 *
 * @param images float32 [N, C, H, W]
 * @param labels one class per image: given (experiment or .npz) or the model's top-1
 * @param names a short name per image (file name, or archive name and index)
 * @param sources the files the images came from, each with its sha256 and any conversion note
 */
public record InputBatch(Tensor images, long[] labels, List<String> names, List<InputSource> sources) {
  public InputBatch {
    names = List.copyOf(names);
    sources = List.copyOf(sources);
    labels = labels.clone();
  }

  public int size() {
    return (int) images.dim(0);
  }

  /** A file an input came from. */
  public record InputSource(String path, String sha256, int images, String note) {}
}

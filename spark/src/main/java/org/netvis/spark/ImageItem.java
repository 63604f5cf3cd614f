package org.netvis.spark;

import java.io.Serializable;

/**
 * One image of the data set as Spark distributes it: where it is read from, never its pixels (the
 * executors decode it with netvis' own input pipeline).
 *
 * @param index its position in the data set: its id for seeds and the order of result tables
 * @param file the file it comes from
 * @param member its index within a .npz/.npy archive, or -1 for an image file
 * @param label a given label (experiment or archive), or -1 for the model's top-1
 */
public record ImageItem(int index, String file, int member, long label) implements Serializable {
  /** The image's id in results: the file name, with the archive index for archive members. */
  public String id() {
    String name = java.nio.file.Path.of(file).getFileName().toString();
    return member < 0 ? name : name + "[" + member + "]";
  }
}

package org.netvis.spark;

import java.io.Serializable;

/**
 * One image of the data set as Spark distributes it: where it is read from (a file, an archive
 * member, or the encoded bytes of a table row), never its pixels: executors decode it with netvis'
 * own input pipeline.
 *
 * @param index its position in the data set: its id for seeds and the order of result tables
 * @param id its name in results (file name, archive name and index, or the table's id column)
 * @param file the file it comes from, or null for a table row
 * @param member its index within a .npz/.npy archive, or -1
 * @param label a given label (experiment, archive, folder or table), or -1 for the model's top-1
 * @param encoded a table row's encoded image (PNG or JPEG), or null
 */
public record ImageItem(int index, String id, String file, int member, long label, byte[] encoded)
    implements Serializable {

  static ImageItem file(int index, String file, int member, long label) {
    String name = java.nio.file.Path.of(file).getFileName().toString();
    return new ImageItem(index, member < 0 ? name : name + "[" + member + "]", file, member, label, null);
  }
}

package org.netvis.plugins.featureablation;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.TreeMap;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.tensor.Tensor;

/**
 * Which pixels form each feature (Captum's feature_mask): a feature is a set of pixels with every
 * channel, ablated or added together. Square cells of a grid, each image's SLIC superpixels, or the
 * integer ids of an .npy (one mask for every image, (H, W), or one per image, (N, H, W): superpixels
 * computed elsewhere); ids need not be contiguous.
 */
final class FeatureMask {
  /** Per mask (one, or one per image), the pixel indices of each feature, in ascending id order. */
  private final int[][][] members;

  private FeatureMask(int[][][] members) {
    this.members = members;
  }

  /** Square cells of {@code size} pixels (the last row and column of cells cut by the image's edge). */
  static FeatureMask grid(int height, int width, int size) {
    int rows = (height + size - 1) / size;
    int cols = (width + size - 1) / size;
    int[] ids = new int[height * width];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        ids[y * width + x] = (y / size) * cols + x / size;
      }
    }
    return new FeatureMask(new int[][][] {group(ids, rows * cols)});
  }

  /** The mask of an .npy of integer ids, (H, W) or (N, H, W); {@code key} names the parameter in errors. */
  static FeatureMask read(String key, Path file, int height, int width) {
    NpyArray a;
    try {
      a = Npy.read(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
    }
    long[] s = a.shape();
    boolean shaped = (s.length == 2 || s.length == 3) && s[s.length - 2] == height && s[s.length - 1] == width;
    if (a.dtype().isFloat() || !shaped) {
      throw new IllegalArgumentException(key + ": " + file + " holds " + a.dtype().descr + " of shape "
          + Arrays.toString(s) + "; expected integer feature ids of shape (" + height + ", " + width + ") or (N, "
          + height + ", " + width + ")");
    }
    long[] values = a.asLongs();
    int plane = height * width;
    int masks = s.length == 2 ? 1 : (int) s[0];
    int[][][] members = new int[masks][][];
    for (int m = 0; m < masks; m++) {
      // Ids in ascending order become features 0, 1, ...
      TreeMap<Long, Integer> index = new TreeMap<>();
      for (int k = 0; k < plane; k++) {
        index.putIfAbsent(values[m * plane + k], 0);
      }
      int next = 0;
      for (Long id : index.keySet()) {
        index.put(id, next++);
      }
      int[] ids = new int[plane];
      for (int k = 0; k < plane; k++) {
        ids[k] = index.get(values[m * plane + k]);
      }
      members[m] = group(ids, next);
    }
    return new FeatureMask(members);
  }

  /** Each image's SLIC superpixels (its pixels back in [0, 1] RGB through the model's preprocessing). */
  static FeatureMask slic(Tensor inputs, Preprocessing preprocessing, int segments, double compactness) {
    int n = (int) inputs.dim(0);
    int h = (int) inputs.dim(2);
    int w = (int) inputs.dim(3);
    int[][][] members = new int[n][][];
    java.util.stream.IntStream.range(0, n).parallel().forEach(i -> {
      int[] ids = Slic.segments(Pixels.deprocess(inputs, i, preprocessing), h, w, segments, compactness);
      members[i] = group(ids, java.util.Arrays.stream(ids).max().orElse(0) + 1);
    });
    return new FeatureMask(members);
  }

  private static int[][] group(int[] ids, int count) {
    int[] sizes = new int[count];
    for (int id : ids) {
      sizes[id]++;
    }
    int[][] out = new int[count][];
    for (int f = 0; f < count; f++) {
      out[f] = new int[sizes[f]];
    }
    int[] filled = new int[count];
    for (int k = 0; k < ids.length; k++) {
      out[ids[k]][filled[ids[k]]++] = k;
    }
    return out;
  }

  /** The features of image i of a batch of n: their pixel indices. */
  int[][] of(int image, int n) {
    if (members.length != 1 && members.length != n) {
      throw new IllegalArgumentException("features: the mask file holds " + members.length + " masks for " + n
          + " images; expected one, or one per image");
    }
    return members[members.length == 1 ? 0 : image];
  }

  /** Writes each feature's value into its pixels, every channel, of one image (CHW) of {@code out} at {@code offset}. */
  static void paint(int[][] features, double[] values, int channels, int plane, float[] out, int offset) {
    for (int f = 0; f < features.length; f++) {
      float value = (float) values[f];
      for (int c = 0; c < channels; c++) {
        for (int pixel : features[f]) {
          out[offset + c * plane + pixel] = value;
        }
      }
    }
  }

  /** Copies feature f's pixels, every channel, from {@code from} into {@code to} (both one image, CHW). */
  static void copy(int[] pixels, int channels, int plane, float[] from, int fromOffset, float[] to, int toOffset) {
    for (int c = 0; c < channels; c++) {
      for (int p : pixels) {
        to[toOffset + c * plane + p] = from[fromOffset + c * plane + p];
      }
    }
  }
}

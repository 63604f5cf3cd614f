package org.netvis.engine.graph;

import org.netvis.engine.tensor.Tensor;

/**
 * How a 4-D image tensor lays out its axes: a model file's input, or a hidden tensor on the gradient
 * path ({@link TensorLayouts}). netvis always works in NCHW; a channels-last model gets a Transpose in
 * front of its graph, and arrays exchanged with the user in the model's own layout (netvis vjp), or a
 * channels-last hidden tensor that a layer method reads, are converted here and nowhere else.
 */
public enum ImageLayout {
  NCHW,
  NHWC;

  /**
   * The layout of a Transpose's output with {@code perm} (output axis k is input axis perm[k]) from
   * a tensor in this layout; null where the axes end in neither order.
   */
  public ImageLayout transposed(long[] perm) {
    if (perm.length != 4) {
      return null;
    }
    // Each axis by its role: batch, channels, height, width.
    char[] roles = this == NCHW ? new char[] {'n', 'c', 'h', 'w'} : new char[] {'n', 'h', 'w', 'c'};
    StringBuilder out = new StringBuilder();
    for (long axis : perm) {
      if (axis < 0 || axis > 3) {
        return null;
      }
      out.append(roles[(int) axis]);
    }
    return switch (out.toString()) {
      case "nchw" -> NCHW;
      case "nhwc" -> NHWC;
      default -> null;
    };
  }

  /** (height, width) of a 4-D shape in this layout. */
  public long[] spatial(long[] shape) {
    return this == NCHW ? new long[] {shape[2], shape[3]} : new long[] {shape[1], shape[2]};
  }

  /** The layout named in a descriptor (case-insensitive), or null for "detect from the graph". */
  public static ImageLayout parse(String name, String source) {
    if (name == null || name.isBlank() || name.equalsIgnoreCase("auto")) {
      return null;
    }
    try {
      return valueOf(name.strip().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new GraphBuildException(source + ": input layout '" + name + "' is not one of NCHW, NHWC, auto");
    }
  }

  /** A tensor in this layout as NCHW. */
  public Tensor toNchw(Tensor t) {
    return this == NCHW ? t : permute(t, new int[] {0, 3, 1, 2});
  }

  /** An NCHW tensor in this layout. */
  public Tensor fromNchw(Tensor t) {
    return this == NCHW ? t : permute(t, new int[] {0, 2, 3, 1});
  }

  /** out[i0, i1, i2, i3] = in[index along perm], i.e. out's axis k is in's axis perm[k]. */
  private static Tensor permute(Tensor t, int[] perm) {
    if (t.rank() != 4) {
      throw new IllegalArgumentException("expected a 4-D tensor, got " + t);
    }
    long[] in = t.shape();
    long[] out = new long[4];
    for (int k = 0; k < 4; k++) {
      out[k] = in[perm[k]];
    }
    int[] stride = {(int) (in[1] * in[2] * in[3]), (int) (in[2] * in[3]), (int) in[3], 1};
    float[] src = t.data();
    float[] dst = new float[src.length];
    int p = 0;
    for (int a = 0; a < out[0]; a++) {
      for (int b = 0; b < out[1]; b++) {
        for (int c = 0; c < out[2]; c++) {
          int base = a * stride[perm[0]] + b * stride[perm[1]] + c * stride[perm[2]];
          int step = stride[perm[3]];
          for (int d = 0; d < out[3]; d++) {
            dst[p++] = src[base + d * step];
          }
        }
      }
    }
    return new Tensor(out, dst);
  }
}

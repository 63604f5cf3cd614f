package org.netvis.engine.tensor;

import java.util.Arrays;

/**
 * A NumPy array as read from or written to a {@code .npy} file: its dtype, its shape and its values.
 * Values are held in the widest Java type of their kind (double for floats, long for integers) so
 * that float64 reference data keeps its precision.
 */
public record NpyArray(DType dtype, long[] shape, double[] floats, long[] ints) {

  /** The dtypes netvis reads and writes, with their NumPy descriptors (little-endian). */
  public enum DType {
    FLOAT32("<f4", 4),
    FLOAT64("<f8", 8),
    INT64("<i8", 8),
    INT32("<i4", 4),
    UINT8("|u1", 1),
    BOOL("|b1", 1);

    public final String descr;
    public final int bytes;

    DType(String descr, int bytes) {
      this.descr = descr;
      this.bytes = bytes;
    }

    public boolean isFloat() {
      return this == FLOAT32 || this == FLOAT64;
    }
  }

  public NpyArray {
    shape = shape.clone();
  }

  public static NpyArray of(Tensor tensor) {
    float[] data = tensor.data();
    double[] values = new double[data.length];
    for (int i = 0; i < data.length; i++) {
      values[i] = data[i];
    }
    return new NpyArray(DType.FLOAT32, tensor.shape(), values, null);
  }

  public static NpyArray ofLongs(long[] shape, long[] values) {
    return new NpyArray(DType.INT64, shape, null, values.clone());
  }

  public long numel() {
    return Tensor.numel(shape);
  }

  /** The values as a float32 tensor; integer arrays are converted, float64 is rounded. */
  public Tensor toTensor() {
    int n = Math.toIntExact(numel());
    float[] out = new float[n];
    if (floats != null) {
      for (int i = 0; i < n; i++) {
        out[i] = (float) floats[i];
      }
    } else {
      for (int i = 0; i < n; i++) {
        out[i] = ints[i];
      }
    }
    return new Tensor(shape, out);
  }

  /** The values as doubles whatever the dtype. */
  public double[] asDoubles() {
    if (floats != null) {
      return floats;
    }
    double[] out = new double[ints.length];
    for (int i = 0; i < ints.length; i++) {
      out[i] = ints[i];
    }
    return out;
  }

  /** The values as longs; only for integer dtypes. */
  public long[] asLongs() {
    if (ints == null) {
      throw new IllegalStateException("array of dtype " + dtype + " holds no integers");
    }
    return ints;
  }

  @Override
  public String toString() {
    return "NpyArray[" + dtype.descr + " " + Arrays.toString(shape) + "]";
  }
}

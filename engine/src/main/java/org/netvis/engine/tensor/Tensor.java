package org.netvis.engine.tensor;

import java.util.Arrays;

/**
 * An immutable-shaped float32 tensor in row-major (C) order. Image batches are NCHW in the model's
 * normalized input space; the engine never stores pixels here.
 *
 * <p>The data array is exposed without copying for speed; callers that hand a tensor to someone else
 * must not mutate it afterwards.
 */
public final class Tensor {
  private final long[] shape;
  private final float[] data;

  public Tensor(long[] shape, float[] data) {
    long count = numel(shape);
    if (count != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + count + " values but data has " + data.length);
    }
    this.shape = shape.clone();
    this.data = data;
  }

  /** A tensor of {@code values} rounded to float32: what a method that sums in double precision returns. */
  public static Tensor rounded(long[] shape, double[] values) {
    float[] data = new float[values.length];
    for (int k = 0; k < data.length; k++) {
      data[k] = (float) values[k];
    }
    return new Tensor(shape, data);
  }

  public static Tensor zeros(long... shape) {
    return new Tensor(shape, new float[Math.toIntExact(numel(shape))]);
  }

  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public long[] shape() {
    return shape.clone();
  }

  public long dim(int axis) {
    return shape[axis < 0 ? shape.length + axis : axis];
  }

  public int rank() {
    return shape.length;
  }

  public float[] data() {
    return data;
  }

  public int size() {
    return data.length;
  }

  /** Number of elements of one item along the first (batch) axis. */
  public int itemSize() {
    return shape.length == 0 || shape[0] == 0 ? 0 : data.length / (int) shape[0];
  }

  /** Items [from, to) along the batch axis, copied. */
  public Tensor slice(int from, int to) {
    int item = itemSize();
    long[] s = shape.clone();
    s[0] = to - from;
    return new Tensor(s, Arrays.copyOfRange(data, from * item, to * item));
  }

  /** The sum of each item's values along the batch axis, in double precision. */
  public double[] itemSums() {
    int item = itemSize();
    double[] out = new double[shape.length == 0 ? 0 : (int) shape[0]];
    for (int i = 0; i < out.length; i++) {
      double s = 0;
      for (int k = i * item; k < (i + 1) * item; k++) {
        s += data[k];
      }
      out[i] = s;
    }
    return out;
  }

  /** The items at these positions along the batch axis, in this order, copied (a position may repeat). */
  public Tensor items(int... which) {
    int item = itemSize();
    float[] out = new float[which.length * item];
    for (int r = 0; r < which.length; r++) {
      System.arraycopy(data, which[r] * item, out, r * item, item);
    }
    long[] s = shape.clone();
    s[0] = which.length;
    return new Tensor(s, out);
  }

  /** Concatenates tensors along the batch axis; all other dimensions must agree. */
  public static Tensor concat(java.util.List<Tensor> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("nothing to concatenate");
    }
    long[] first = parts.get(0).shape;
    long batch = 0;
    for (Tensor t : parts) {
      if (t.rank() != first.length
          || !Arrays.equals(Arrays.copyOfRange(t.shape, 1, t.rank()), Arrays.copyOfRange(first, 1, first.length))) {
        throw new IllegalArgumentException(
            "cannot concatenate " + Arrays.toString(t.shape) + " with " + Arrays.toString(first));
      }
      batch += t.shape[0];
    }
    long[] s = first.clone();
    s[0] = batch;
    float[] out = new float[Math.toIntExact(numel(s))];
    int offset = 0;
    for (Tensor t : parts) {
      System.arraycopy(t.data, 0, out, offset, t.data.length);
      offset += t.data.length;
    }
    return new Tensor(s, out);
  }

  public Tensor reshape(long... newShape) {
    return new Tensor(newShape, data);
  }

  @Override
  public String toString() {
    return "Tensor" + Arrays.toString(shape);
  }
}

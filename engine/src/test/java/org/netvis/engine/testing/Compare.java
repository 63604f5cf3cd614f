package org.netvis.engine.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

/** Error measures used to compare netvis results with reference arrays. */
public final class Compare {
  private Compare() {}

  /** A float tensor's values as doubles, for the expected side of the measures below. */
  public static double[] asDoubles(org.netvis.engine.tensor.Tensor t) {
    double[] d = new double[t.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = t.data()[i];
    }
    return d;
  }

  /** ||a - b|| / ||b|| over items [i*item, (i+1)*item) for each item. */
  public static double[] relativeL2PerItem(float[] actual, double[] expected, int items) {
    int item = actual.length / items;
    double[] out = new double[items];
    for (int i = 0; i < items; i++) {
      double diff = 0;
      double ref = 0;
      for (int j = i * item; j < (i + 1) * item; j++) {
        double d = actual[j] - expected[j];
        diff += d * d;
        ref += expected[j] * expected[j];
      }
      out[i] = Math.sqrt(diff) / Math.max(Math.sqrt(ref), 1e-30);
    }
    return out;
  }

  /**
   * The PyTorch references' measure: per item, netvis' relative L2 to float64 autograd must be at most
   * twice PyTorch's own float32 error, or {@code floor} where both are tiny. Prints one line per item
   * under {@code what}.
   */
  public static void assertAsCloseToFloat64AsPyTorch(String what, float[] netvis, double[] torch32, double[] torch64,
      int items, double floor) {
    float[] pytorch32 = new float[torch32.length];
    for (int i = 0; i < pytorch32.length; i++) {
      pytorch32[i] = (float) torch32[i];
    }
    double[] ours = relativeL2PerItem(netvis, torch64, items);
    double[] theirs = relativeL2PerItem(pytorch32, torch64, items);
    for (int i = 0; i < items; i++) {
      System.out.printf("%s, item %d: relative L2 to float64 autograd: netvis %.2e, PyTorch float32 %.2e%n", what, i,
          ours[i], theirs[i]);
      assertTrue(ours[i] <= Math.max(2 * theirs[i], floor), what + ", item " + i + ": netvis " + ours[i]
          + ", PyTorch float32 " + theirs[i]);
    }
  }

  /** max |a - b| / max |b|. */
  public static double maxRelative(float[] actual, double[] expected) {
    double maxDiff = 0;
    double maxRef = 0;
    for (int i = 0; i < actual.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
    }
    return maxDiff / Math.max(maxRef, 1e-30);
  }

  /**
   * Asserts {@code other} equals {@code reference}, which is not all zero, to 1e-6 of its largest
   * magnitude: what batching a computation differently may change (ONNX Runtime rounds a batch of 4
   * and one of 8 differently in the last bits), nothing more.
   */
  public static void assertSameUpToRounding(float[] reference, float[] other) {
    float max = 0;
    for (float v : reference) {
      max = Math.max(max, Math.abs(v));
    }
    org.junit.jupiter.api.Assertions.assertTrue(max > 0, "the reference is all zero");
    org.junit.jupiter.api.Assertions.assertArrayEquals(reference, other, 1e-6f * max);
  }

  /**
   * The lower median: the middle value, or the lower of the two middle values. With two images (the
   * fixtures), one float32 tie at a ReLU6 or max-pool boundary must not stand for the typical error.
   */
  public static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s[(s.length - 1) / 2];
  }

  public static double max(double[] values) {
    return Arrays.stream(values).max().orElse(0);
  }
}

package org.netvis.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.tensor.Tensor;

/**
 * Why {@link Pixels}' normalization indexes its input and output alike (bench/README.md,
 * thirty-second session): HotSpot's C2 (JDK 17) vectorizes a loop that reads one float array and
 * writes another only where the two accesses share their index, since the arrays may be one. Times,
 * on five 3 x 224 x 224 images, the engine's normalization (ImageNet's RGB and Caffe's BGR, whose
 * planes move) against the same arithmetic written with the read and write offsets apart, as it was,
 * and the loop forms alone: a division, a clamp and a multiplication, each with one index and with
 * two. Medians of the last 40 of 60 rounds; run it with the launcher's JIT options to see what a
 * run sees. Usage: LoopForms (no arguments).
 */
public final class LoopForms {
  private static final int ROUNDS = 60;
  private static final int TIMED = 40;

  private LoopForms() {}

  public static void main(String[] args) {
    long[] shape = {5, 3, 224, 224};
    int n = (int) Tensor.numel(shape);
    float[] pixels = new float[n];
    Random random = new Random(1);
    for (int i = 0; i < n; i++) {
      pixels[i] = random.nextFloat();
    }
    Tensor x = new Tensor(shape, pixels);
    Preprocessing caffe = new Preprocessing(256, 224, "BGR", 1.0, List.of(103.939, 116.779, 123.68),
        List.of(1.0, 1.0, 1.0));
    float[] out = new float[n + 16];
    Tensor[] reuse = new Tensor[2];
    double[][] times = new double[9][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long[] t = new long[10];
      t[0] = System.nanoTime();
      reuse[0] = Pixels.fromUnitPixels(x, Preprocessing.IMAGENET, reuse[0]);
      t[1] = System.nanoTime();
      reuse[1] = Pixels.fromRgbUnitPixels(x, caffe, reuse[1]);
      t[2] = System.nanoTime();
      normalizeApart(pixels, out, Preprocessing.IMAGENET);
      t[3] = System.nanoTime();
      divideOneIndex(pixels, out, 0, n);
      t[4] = System.nanoTime();
      divideApart(pixels, 0, out, 16, n);
      t[5] = System.nanoTime();
      clampOneIndex(pixels, out, 0, n);
      t[6] = System.nanoTime();
      clampApart(pixels, 0, out, 16, n);
      t[7] = System.nanoTime();
      multiplyOneIndex(pixels, out, 0, n);
      t[8] = System.nanoTime();
      multiplyApart(pixels, 0, out, 16, n);
      t[9] = System.nanoTime();
      for (int k = 0; k < 9; k++) {
        times[k][r] = (t[k + 1] - t[k]) / 1e6;
      }
    }
    String[] names = {"Pixels.fromUnitPixels (RGB, offsets equal)", "Pixels.fromRgbUnitPixels (BGR, planes move)",
        "the same normalization, offsets apart", "division, one index", "division, offsets apart",
        "clamp (min/max), one index", "clamp (min/max), offsets apart", "multiplication, one index",
        "multiplication, offsets apart"};
    System.out.printf("%d floats, median of the last %d of %d rounds (ms)%n", n, TIMED, ROUNDS);
    for (int k = 0; k < names.length; k++) {
      System.out.printf("  %-46s %6.3f%n", names[k], median(Arrays.copyOfRange(times[k], ROUNDS - TIMED, ROUNDS)));
    }
  }

  /** The normalization as it was before the thirty-second session: read and write offsets computed apart. */
  private static void normalizeApart(float[] in, float[] out, Preprocessing p) {
    int plane = 224 * 224;
    float unit = (float) (255.0 / p.scale());
    for (int b = 0; b < 5; b++) {
      for (int ch = 0; ch < 3; ch++) {
        float mean = p.mean().get(ch).floatValue();
        float std = p.std().get(ch).floatValue();
        int from = (b * 3 + p.imageChannel(ch)) * plane;
        int to = (b * 3 + ch) * plane;
        for (int i = 0; i < plane; i++) {
          out[to + i] = (in[from + i] * unit - mean) / std;
        }
      }
    }
  }

  private static void divideOneIndex(float[] in, float[] out, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      out[i] = (in[i] * 3f + 0.5f) / 0.3f;
    }
  }

  private static void divideApart(float[] in, int from, float[] out, int to, int length) {
    for (int i = 0; i < length; i++) {
      out[to + i] = (in[from + i] * 3f + 0.5f) / 0.3f;
    }
  }

  private static void clampOneIndex(float[] in, float[] out, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      out[i] = Math.min(Math.max(in[i] * 3f, 0f), 1f);
    }
  }

  private static void clampApart(float[] in, int from, float[] out, int to, int length) {
    for (int i = 0; i < length; i++) {
      out[to + i] = Math.min(Math.max(in[from + i] * 3f, 0f), 1f);
    }
  }

  private static void multiplyOneIndex(float[] in, float[] out, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      out[i] = in[i] * 3f;
    }
  }

  private static void multiplyApart(float[] in, int from, float[] out, int to, int length) {
    for (int i = 0; i < length; i++) {
      out[to + i] = in[from + i] * 3f;
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}

package org.netvis.engine.graph;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each window of a 2-D max pool has its first maximum in row-major order (PyTorch's pick on
 * ties), found with plain MaxPools, comparisons and sums: with y a window's maximum, A_r the maximum
 * of its rows 0..r and D_rc that of its rows 0..r and columns 0..c, the winner lies
 * R = sum over r < kh-1 of [A_r < y] rows and S - (kw-1) R columns into the window, where
 * S = sum over r < kh, c < kw-1 of [A_(r-1) < y] [D_rc < y] (A_(-1) < y taken as true): the rows
 * before the winner's count kw-1 each, the winner's row counts its column, the rows after count
 * nothing.
 *
 * <p>Why: ONNX Runtime's MaxPool with an Indices output runs a scalar loop 15-35x slower than its
 * plain MaxPool, which works in the blocked layout on every core. Where memory is fast enough for
 * the nine pools' reads (an AMD Zen 5 with AVX-512: SqueezeNet's VJP 10-24% less time per image at
 * batch 1, 8 and 32, three alternating rounds) it pays; on a Zen 3 it lost at batch 8 and 32
 * (bench/README.md, twenty-fifth and forty-fourth sessions, `PoolWinners`).
 *
 * <p>Every pool here starts its windows where the original does: the original's leading pads are
 * added to the input first as -inf (ONNX Runtime wants a pool's pads smaller than its kernel, and a
 * one-row pool takes none). Each pool pads its end by its kernel less one, which puts all of them on
 * one grid, at least the original's windows in each direction; the indices are cropped to those.
 */
final class MaxPoolWinners {
  /** The most taps a window may have; each costs a plain pool and a comparison. */
  static final int MAX_TAPS = 9;

  /**
   * A channel count that fills whole blocks of ONNX Runtime's blocked (NCHWc) layout on every CPU it
   * blocks on (16 floats with AVX-512, 8 with AVX2), where a depthwise convolution stays blocked.
   */
  static final long BLOCKED_CHANNELS = 16;

  private MaxPoolWinners() {}

  /**
   * The in-plane flat index (h * W + w) of each window's winner, int64 [N, C, Ho, Wo], or null where
   * this construction does not apply: not 2-D, dilation, more than {@link #MAX_TAPS}
   * or a single tap, unknown spatial sizes, a window that starts past the input, or planes too large
   * for float32 to count exactly.
   */
  static String indices(NodeEmitter e, String x, long[] xs, WindowGeometry g, boolean maskedWhereZero) {
    if (xs.length != 4 || g.kernel().length != 2) {
      return null;
    }
    long kh = g.kernel()[0];
    long kw = g.kernel()[1];
    long h = xs[2];
    long w = xs[3];
    long[] out = g.outSize();
    if (kh * kw < 2 || kh * kw > MAX_TAPS || h <= 0 || w <= 0 || h * w >= 1L << 24 || out[0] <= 0 || out[1] <= 0) {
      return null;
    }
    long[] lead = g.padsBegin();
    for (int i = 0; i < 2; i++) {
      if (g.dilations()[i] != 1 || (out[i] - 1) * g.strides()[i] > lead[i] + g.inSize()[i] - 1) {
        return null;
      }
    }
    String source = lead[0] == 0 && lead[1] == 0 ? x : leadingPads(e, x, xs[1], lead, maskedWhereZero);
    String y = pool(e, source, g, kh, kw);
    List<String> rowsBefore = new ArrayList<>(); // [A_r < y] for r < kh - 1
    for (long r = 0; r + 1 < kh; r++) {
      rowsBefore.add(below(e, pool(e, source, g, r + 1, kw), y));
    }
    String s = null;
    for (long r = 0; r < kh; r++) {
      String columns = null;
      for (long c = 0; c + 1 < kw; c++) {
        columns = sum(e, columns, below(e, pool(e, source, g, r + 1, c + 1), y));
      }
      if (columns != null) {
        s = sum(e, s, r == 0 ? columns : e.mul(rowsBefore.get((int) r - 1), columns));
      }
    }
    String rows = null;
    for (String before : rowsBefore) {
      rows = sum(e, rows, before);
    }
    // Offset into the window: rows * W + columns = rows * (W - (kw - 1)) + S.
    String offset = rows == null ? s : s == null ? e.mul(rows, e.scalar(w))
        : e.op("Add", List.of(e.mul(rows, e.scalar(w - (kw - 1))), s));
    String cropped = e.op("Slice", List.of(offset, e.longs("starts", 0, 0), e.longs("ends", out[0], out[1]),
        e.longs("axes", 2, 3)));
    float[] origins = new float[(int) (out[0] * out[1])];
    for (int i = 0; i < out[0]; i++) {
      for (int j = 0; j < out[1]; j++) {
        origins[(int) (i * out[1] + j)] = (i * g.strides()[0] - lead[0]) * w + j * g.strides()[1] - lead[1];
      }
    }
    String flat = e.op("Add", List.of(cropped, e.floats("window_origins", new long[] {1, 1, out[0], out[1]}, origins)));
    String index = e.op("Cast", List.of(flat), Attributes.of("to", (long) ai.onnx.proto.OnnxMl.TensorProto.DataType.INT64_VALUE));
    // A window holding NaN, or +inf where a partial maximum is +inf too, counts NaN, which casts to
    // INT64_MIN on x86 and would stop the scatter; such a window's gradient goes to its plane's start.
    return e.op("Max", List.of(index, e.longScalar("zero", 0)));
  }

  /**
   * x with the original's leading pads (ResNet's stem pool) as rows and columns that never win, for the
   * plain pools, which pad only at the end: -inf, from a Pad; or, where x >= 0 and every window whose
   * maximum is 0 has its gradient masked ({@code maskedWhereZero}), zeros, from a depthwise 1x1
   * convolution with weights 1 and the pads as its own (x * 1 is x). A window with a positive maximum
   * never picks a zero; one whose maximum is 0 may pick a pad, whose index still falls inside the
   * plane (a pad column is the end of the row above; the pad row, clamped at 0, the plane's start), and
   * scatters its masked zero there.
   *
   * <p>Why: ONNX Runtime pads on one thread, and out of its blocked layout, so the Pad also cost a
   * reorder of x out and one of the padded copy back in; the convolution stays blocked and runs on
   * every thread (bench/README.md, fiftieth session). Only where the channels fill whole blocks
   * ({@link #BLOCKED_CHANNELS}): otherwise ONNX Runtime runs the convolution unblocked, group by group.
   */
  private static String leadingPads(NodeEmitter e, String x, long channels, long[] lead, boolean maskedWhereZero) {
    if (!maskedWhereZero || channels <= 0 || channels % BLOCKED_CHANNELS != 0) {
      return e.op("Pad", List.of(x, e.longs("pads", 0, 0, lead[0], lead[1], 0, 0, 0, 0),
          e.scalar(Float.NEGATIVE_INFINITY)));
    }
    float[] ones = new float[(int) channels];
    java.util.Arrays.fill(ones, 1f);
    return e.op("Conv", List.of(x, e.floats("pad_identity", new long[] {channels, 1, 1, 1}, ones)),
        Attributes.of("group", channels), Attributes.of("kernel_shape", new long[] {1, 1}),
        Attributes.of("pads", new long[] {lead[0], lead[1], 0, 0}));
  }

  /** A plain kh x kw max pool with the original's strides and window starts, on the common grid. */
  private static String pool(NodeEmitter e, String x, WindowGeometry g, long kh, long kw) {
    return e.op("MaxPool", List.of(x), Attributes.of("kernel_shape", new long[] {kh, kw}),
        Attributes.of("strides", g.strides()), Attributes.of("pads", new long[] {0, 0, kh - 1, kw - 1}));
  }

  /**
   * [partial < y] as 0 or 1, from y - partial >= 0 and two HardSigmoids (exact down to the smallest
   * subnormal difference): ONNX Runtime casts a comparison's booleans to floats on one thread (30 of
   * SqueezeNet's 370 ms VJP at batch 32), and runs these on every thread (bench/README.md,
   * forty-seventh session).
   */
  private static String below(NodeEmitter e, String partial, String y) {
    return ElementwiseGradients.strictSide(e, e.op("Sub", List.of(y, partial)), 0f, 1);
  }

  private static String sum(NodeEmitter e, String total, String term) {
    return total == null ? term : e.op("Add", List.of(total, term));
  }
}

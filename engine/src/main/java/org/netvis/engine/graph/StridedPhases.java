package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.List;

/**
 * A strided convolution's adjoint split by output phase: the input positions {@code i} with the same
 * {@code i mod stride} receive the output gradient through the same taps of the kernel, so each
 * phase is a stride-1 convolution of the output gradient with a sub-kernel. All phases run as one
 * Conv (one output channel per input channel and phase), and a ConvTranspose with one-hot
 * {@code stride x stride} kernels interleaves them.
 *
 * <p>Why: ONNX Runtime's ConvTranspose adds its columns back into the image (col2im) on one thread,
 * {@code C_in * K * K} additions per output-gradient position; for a 7x7/2 stem into 3 channels that
 * was 11% of DenseNet's VJP kernel time at batch 32, all of it serial. Here the Conv runs on every
 * thread and the interleave's col2im adds {@code C_in * s * s} per position, 12x fewer for 7x7/2.
 * The sub-kernels, padded to a common size, cost more multiply-adds than the kernel itself, so this
 * is used only where that overhead is small (7x7/2: 4x4 phase kernels, 64 / 49 = 1.31; 11x11/4:
 * 1.19), never for the 3x3/2 convolutions of residual bodies (1.78).
 */
final class StridedPhases {
  /** The most extra multiply-adds the padded phase kernels may cost, as a ratio to the kernel's. */
  static final double MAX_OVERHEAD = 1.35;

  /**
   * The interleave is a dense ConvTranspose with one-hot weights, (C_in * s * s)^2 multiply-adds per
   * phase position; it may cost at most this share of the phase Conv's (C_in * s * s * C_out * T * T).
   * A stem into 3 channels is far below it (7x7/2 with 64 outputs: 1.2%; 11x11/4: 8%); a strided
   * convolution into hundreds of channels is not, and keeps ConvTranspose.
   */
  static final double MAX_INTERLEAVE_SHARE = 0.1;

  private StridedPhases() {}

  /** The phase geometry of one spatial axis. */
  private record Axis(long stride, long[] firstTap, long[] taps, long[] shift, long phaseKernel, long padBegin,
      long padEnd) {

    /**
     * Phase r's taps are k = firstTap[r] + j * stride (j < taps[r]); input q * stride + r takes
     * them from output q + shift[r] - j, which the phase Conv reads at its kernel index
     * padBegin + shift[r] - j.
     */
    static Axis of(long stride, long kernel, long padBegin, long inSize, long outSize) {
      long[] first = new long[(int) stride];
      long[] taps = new long[(int) stride];
      long[] shift = new long[(int) stride];
      long before = 0;
      long reach = 0;
      for (int r = 0; r < stride; r++) {
        first[r] = Math.floorMod(r + padBegin, stride);
        taps[r] = (kernel - first[r] + stride - 1) / stride;
        shift[r] = Math.floorDiv(r + padBegin, stride);
        before = Math.max(before, taps[r] - 1 - shift[r]);
      }
      for (int r = 0; r < stride; r++) {
        reach = Math.max(reach, before + shift[r] + 1);
      }
      long rows = (inSize + stride - 1) / stride;
      long after = Math.max(0, rows - outSize - before + reach - 1);
      return new Axis(stride, first, taps, shift, reach, before, after);
    }

    long phaseLength(long outSize) {
      return outSize + padBegin + padEnd - phaseKernel + 1;
    }
  }

  /**
   * The adjoint of a group-1, dilation-1, 2-D Conv with constant weights [O, C, K0, K1] applied to
   * {@code dy}, or null where this decomposition does not apply or does not pay.
   */
  static String adjoint(NodeEmitter e, String dy, TensorProto weights, long[] ws, WindowGeometry g) {
    if (ws.length != 4 || g.unitStrides()) {
      return null;
    }
    double overhead = 1;
    for (int i = 0; i < 2; i++) {
      long s = g.strides()[i];
      long k = g.kernel()[i];
      if (g.dilations()[i] != 1 || k <= s || g.inSize()[i] <= 0 || g.outSize()[i] <= 0) {
        return null;
      }
      overhead *= (double) ((k + s - 1) / s * s) / k;
    }
    Axis rows = Axis.of(g.strides()[0], g.kernel()[0], g.padsBegin()[0], g.inSize()[0], g.outSize()[0]);
    Axis cols = Axis.of(g.strides()[1], g.kernel()[1], g.padsBegin()[1], g.inSize()[1], g.outSize()[1]);
    int out = (int) ws[0];
    int in = (int) ws[1];
    int s0 = (int) rows.stride();
    int s1 = (int) cols.stride();
    int phases = s0 * s1;
    int t0 = (int) rows.phaseKernel();
    int t1 = (int) cols.phaseKernel();
    if (overhead > MAX_OVERHEAD || (double) in * phases > MAX_INTERLEAVE_SHARE * out * t0 * t1) {
      return null;
    }
    float[] w = TensorProtos.toFloats(weights);
    float[] phaseWeights = new float[in * phases * out * t0 * t1];
    float[] interleave = new float[in * phases * in * phases];
    for (int c = 0; c < in; c++) {
      for (int r0 = 0; r0 < s0; r0++) {
        for (int r1 = 0; r1 < s1; r1++) {
          int channel = (c * s0 + r0) * s1 + r1;
          interleave[((channel * in + c) * s0 + r0) * s1 + r1] = 1f;
          for (int j0 = 0; j0 < rows.taps()[r0]; j0++) {
            int k0 = (int) (rows.firstTap()[r0] + j0 * s0);
            int p0 = (int) (rows.padBegin() + rows.shift()[r0] - j0);
            for (int j1 = 0; j1 < cols.taps()[r1]; j1++) {
              int k1 = (int) (cols.firstTap()[r1] + j1 * s1);
              int p1 = (int) (cols.padBegin() + cols.shift()[r1] - j1);
              for (int o = 0; o < out; o++) {
                phaseWeights[((channel * out + o) * t0 + p0) * t1 + p1] =
                    w[((o * in + c) * (int) ws[2] + k0) * (int) ws[3] + k1];
              }
            }
          }
        }
      }
    }
    String byPhase = e.op("Conv", List.of(dy, e.floats("phase_weights", new long[] {in * phases, out, t0, t1},
            phaseWeights)),
        Attributes.of("kernel_shape", new long[] {t0, t1}),
        Attributes.of("pads", new long[] {rows.padBegin(), cols.padBegin(), rows.padEnd(), cols.padEnd()}));
    String interleaved = e.op("ConvTranspose", List.of(byPhase, e.floats("phase_interleave",
            new long[] {in * phases, in, s0, s1}, interleave)),
        Attributes.of("kernel_shape", new long[] {s0, s1}), Attributes.of("strides", new long[] {s0, s1}));
    long height = s0 * rows.phaseLength(g.outSize()[0]);
    long width = s1 * cols.phaseLength(g.outSize()[1]);
    if (height == g.inSize()[0] && width == g.inSize()[1]) {
      return interleaved;
    }
    // The last phase rows can overhang the input when its size is not a multiple of the stride.
    return e.op("Slice", List.of(interleaved, e.longs("phase_crop_starts", 0, 0),
        e.longs("phase_crop_ends", g.inSize()[0], g.inSize()[1]), e.longs("phase_crop_axes", 2, 3)));
  }
}

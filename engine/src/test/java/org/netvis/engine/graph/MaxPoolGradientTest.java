package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.TestGraph;

/**
 * The max-pool gradient, bit for bit, against PyTorch's definition written out here: each window's
 * first maximum in row-major order takes the window's gradient, padding never wins, overlapping
 * windows add in window order. Inputs full of ties, pools with and without pads, overhang and ceil_mode.
 */
class MaxPoolGradientTest {
  @TempDir Path dir;

  /** A pool's attributes and its input size. */
  record Pool(String name, long[] kernel, long[] strides, long[] pads, boolean ceil, int h, int w) {}

  @Test
  void winnersAreTheFirstMaximaOfTheirWindowsTieForTie() throws Exception {
    List<Pool> pools = List.of(
        new Pool("SqueezeNet's 3x3/2 ceil_mode, no overhang", new long[] {3, 3}, new long[] {2, 2}, new long[4], true,
            11, 11),
        new Pool("3x3/2 ceil_mode overhanging below and right", new long[] {3, 3}, new long[] {2, 2}, new long[4], true,
            12, 10),
        new Pool("2x2/2", new long[] {2, 2}, new long[] {2, 2}, new long[4], false, 8, 6),
        new Pool("3x3/1", new long[] {3, 3}, new long[] {1, 1}, new long[4], false, 6, 7),
        new Pool("3x2, strides 2 and 1, pads left and right", new long[] {3, 2}, new long[] {2, 1},
            new long[] {0, 1, 0, 1}, false, 7, 6),
        new Pool("2x3, strides 1 and 2, ceil_mode overhanging right", new long[] {2, 3}, new long[] {1, 2},
            new long[4], true, 5, 8),
        new Pool("ResNet's 3x3/2 pads 1", new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1, 1, 1}, false, 9, 9),
        new Pool("2x2/2 on odd sizes: the last row and column in no window", new long[] {2, 2}, new long[] {2, 2},
            new long[4], false, 7, 5),
        new Pool("3x3/3 pads 1 and 2, ceil_mode", new long[] {3, 3}, new long[] {3, 3}, new long[] {1, 2, 1, 0}, true,
            8, 7),
        new Pool("1x1/2: a kernel smaller than its stride", new long[] {1, 1}, new long[] {2, 2}, new long[4], false,
            7, 6));
    Random random = new Random(11);
    for (Pool p : pools) {
      TestGraph g = new TestGraph(17, 1, 2, p.h(), p.w());
      String pooled = g.op("MaxPool", List.of("x"), "kernel_shape", p.kernel(), "strides", p.strides(), "pads",
          p.pads(), "ceil_mode", p.ceil() ? 1L : 0L);
      Path model = g.save(dir, p.name().replaceAll("[^A-Za-z0-9]", "_"), pooled);
      try (Engine engine = GradientCheck.open(model, dir)) {
        for (int trial = 0; trial < 3; trial++) {
          Tensor x = Tensor.zeros(2, 2, p.h(), p.w());
          for (int i = 0; i < x.size(); i++) {
            // Ties everywhere in the first two trials (a few values, negatives among them), none in the last.
            x.data()[i] = trial < 2 ? random.nextInt(trial == 0 ? 2 : 4) - 1 : (float) random.nextGaussian();
          }
          long outH = outSize(p.h(), p.kernel()[0], p.strides()[0], p.pads()[0], p.pads()[2], p.ceil());
          long outW = outSize(p.w(), p.kernel()[1], p.strides()[1], p.pads()[1], p.pads()[3], p.ceil());
          Tensor dy = Tensor.zeros(2, 2 * outH * outW);
          for (int i = 0; i < dy.size(); i++) {
            dy.data()[i] = (float) random.nextGaussian();
          }
          VjpResult r = engine.vjp(x, dy);
          assertArrayEquals(reference(x, dy, p, outH, outW), r.inputGradient().data(), p.name() + ", trial " + trial);
        }
      }
    }
  }

  /**
   * A max pool that is the only reader of a Relu's output, or of a Concat of Relu outputs (SqueezeNet's
   * Fire modules), masks its window gradients on the pooled grid and the Relus pass the gradient on
   * unmasked: bit for bit PyTorch's max-pool backward followed by threshold_backward, with whole
   * windows of zeros and ties at positive values. A Relu output read twice keeps its full-size mask.
   */
  @Test
  void reluMasksMoveOntoThePooledGridWhereThePoolIsTheReluOutputsOnlyReader() throws Exception {
    Pool p = new Pool("3x3/2 ceil_mode", new long[] {3, 3}, new long[] {2, 2}, new long[4], true, 11, 11);
    long out = outSize(p.h(), 3, 2, 0, 0, true);
    Random random = new Random(5);
    for (String layout : List.of("relu", "concat", "read twice")) {
      TestGraph g = new TestGraph(17, 1, 2, p.h(), p.w());
      String positive = g.op("Relu", List.of("x"));
      String negative = g.op("Relu", List.of(g.op("Neg", List.of("x"))));
      Object[] attrs = {"kernel_shape", p.kernel(), "strides", p.strides(), "ceil_mode", 1L};
      String result = switch (layout) {
        case "relu" -> g.op("MaxPool", List.of(positive), attrs);
        case "concat" -> g.op("MaxPool", List.of(g.op("Concat", List.of(positive, negative), "axis", 1L)), attrs);
        default -> g.op("Concat", List.of(g.op("MaxPool", List.of(positive), attrs),
            g.op("MaxPool", List.of(g.op("Relu", List.of(positive))), attrs)), "axis", 1L);
      };
      Path model = g.save(dir, "relu_pool_" + layout.replace(' ', '_'), result);
      GradientGraph vjp = new GradientGraphBuilder().build(ModelGraph.read(model), p.h(), p.w());
      List<String> masked = vjp.proto().getGraph().getNodeList().stream()
          .filter(n -> n.getOpType().equals("HardSigmoid")).map(n -> n.getInput(0)).toList();
      assertEquals(layout.equals("read twice"), masked.contains(positive), layout + ": masks read " + masked);
      assertFalse(masked.contains(negative), layout + ": masks read " + masked);
      try (Engine engine = GradientCheck.open(model, dir)) {
        for (int trial = 0; trial < 3; trial++) {
          Tensor x = Tensor.zeros(2, 2, p.h(), p.w());
          for (int i = 0; i < x.size(); i++) {
            // Small integers: windows of zeros after the Relu, and positive ties.
            x.data()[i] = trial < 2 ? random.nextInt(4) - 2 : (float) random.nextGaussian();
          }
          int pooledChannels = layout.equals("relu") ? 2 : 4;
          Tensor dy = Tensor.zeros(2, pooledChannels * out * out);
          for (int i = 0; i < dy.size(); i++) {
            dy.data()[i] = (float) random.nextGaussian();
          }
          float[] expected = reluPoolReference(x, dy, p, out, layout);
          assertArrayEquals(expected, engine.vjp(x, dy).inputGradient().data(), 0f, layout + ", trial " + trial);
        }
      }
    }
  }

  /**
   * A padded pool that alone reads a Relu's output (ResNet's stem pool) takes its leading pads as zeros
   * from a depthwise convolution, not as -inf from a Pad, where its channels fill whole blocks of ONNX
   * Runtime's layout: a zero pad may then win a window whose maximum is 0, whose gradient the Relu mask
   * zeroes anyway. Bit for bit PyTorch's, with all-zero windows along the padded borders and positive
   * ties; with 2 channels the Pad stays. The 16 channels are 8 copies of the 2-channel input (a model's
   * input has at most 4), and the gradients small integers, so that the copies' sums are exact in any order.
   */
  @Test
  void reluOutputsTakeZeroPadsWhereTheirWindowsOfZerosAreMasked() throws Exception {
    Pool p = new Pool("ResNet's 3x3/2 pads 1", new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1, 1, 1}, false,
        9, 9);
    long out = outSize(p.h(), 3, 2, 1, 1, false);
    int plane = p.h() * p.w();
    Random random = new Random(7);
    for (int copies : new int[] {8, 1}) {
      int channels = 2 * copies;
      TestGraph g = new TestGraph(17, 1, 2, p.h(), p.w());
      String source = copies == 1 ? "x" : g.op("Concat", java.util.Collections.nCopies(copies, "x"), "axis", 1L);
      String pooled = g.op("MaxPool", List.of(g.op("Relu", List.of(source))), "kernel_shape", p.kernel(), "strides",
          p.strides(), "pads", p.pads());
      Path model = g.save(dir, "relu_padded_pool_" + channels, pooled);
      List<String> ops = new GradientGraphBuilder().build(ModelGraph.read(model), p.h(), p.w()).proto().getGraph()
          .getNodeList().stream().map(n -> n.getOpType()).toList();
      assertEquals(channels != 16, ops.contains("Pad"), channels + " channels: " + ops);
      try (Engine engine = GradientCheck.open(model, dir)) {
        for (int trial = 0; trial < 3; trial++) {
          Tensor x = Tensor.zeros(2, 2, p.h(), p.w());
          for (int i = 0; i < x.size(); i++) {
            // Mostly zeros after the Relu (whole windows of them at the borders), positive ties among the rest.
            x.data()[i] = trial < 2 ? random.nextInt(trial == 0 ? 3 : 5) - (trial == 0 ? 1 : 3)
                : (float) random.nextGaussian();
          }
          Tensor dy = Tensor.zeros(2, channels * out * out);
          for (int i = 0; i < dy.size(); i++) {
            dy.data()[i] = random.nextInt(9) - 4;
          }
          Tensor copied = Tensor.zeros(2, channels, p.h(), p.w());
          for (int i = 0; i < copied.size(); i++) {
            int image = i / (channels * plane);
            copied.data()[i] = x.data()[image * 2 * plane + i % (2 * plane)];
          }
          float[] perCopy = reluPoolReference(copied, dy, p, out, "relu");
          float[] expected = new float[x.size()];
          for (int i = 0; i < perCopy.length; i++) {
            int image = i / (channels * plane);
            expected[image * 2 * plane + i % (2 * plane)] += perCopy[i];
          }
          assertArrayEquals(expected, engine.vjp(x, dy).inputGradient().data(), 0f, channels + " channels, trial " + trial);
        }
      }
    }
  }

  /**
   * NaN and infinities (a diverged attack's image) make no window's winner undefined enough to fail the
   * run: the winners come from differences y - partial, where inf - inf and NaN give NaN, and an
   * unchecked NaN index would stop ONNX Runtime's scatter. Every window's gradient stays in its own
   * plane, and planes with finite values only are exact.
   */
  @Test
  void nonFiniteInputsKeepEachWindowsGradientInItsPlane() throws Exception {
    Pool p = new Pool("SqueezeNet's 3x3/2 ceil_mode", new long[] {3, 3}, new long[] {2, 2}, new long[4], true, 11, 11);
    long out = outSize(p.h(), 3, 2, 0, 0, true);
    TestGraph g = new TestGraph(17, 1, 2, p.h(), p.w());
    Path model = g.save(dir, "non_finite_pool", g.op("MaxPool", List.of("x"), "kernel_shape", p.kernel(),
        "strides", p.strides(), "ceil_mode", 1L));
    Random random = new Random(3);
    Tensor x = Tensor.zeros(2, 2, p.h(), p.w());
    for (int i = 0; i < x.size(); i++) {
      x.data()[i] = (float) random.nextGaussian();
    }
    int plane = p.h() * p.w();
    x.data()[5] = Float.NaN; // plane 0: a NaN, and a window of NaN with a finite neighbour
    x.data()[2 * p.w() + 7] = Float.NaN;
    x.data()[plane + 13] = Float.POSITIVE_INFINITY; // plane 1: two +inf sharing windows, a -inf
    x.data()[plane + 14] = Float.POSITIVE_INFINITY;
    x.data()[plane + 60] = Float.NEGATIVE_INFINITY;
    x.data()[3 * plane + 40] = Float.NEGATIVE_INFINITY; // plane 3: -inf never wins, so still exact
    Tensor dy = Tensor.zeros(2, 2 * out * out);
    for (int i = 0; i < dy.size(); i++) {
      dy.data()[i] = (float) random.nextGaussian();
    }
    float[] expected = reference(x, dy, p, out, out);
    float[] actual;
    try (Engine engine = GradientCheck.open(model, dir)) {
      actual = engine.vjp(x, dy).inputGradient().data();
    }
    for (int k = 0; k < 4; k++) {
      double sent = 0;
      double received = 0;
      for (int o = 0; o < out * out; o++) {
        sent += dy.data()[(int) (k * out * out + o)];
      }
      for (int i = 0; i < plane; i++) {
        received += actual[k * plane + i];
      }
      assertEquals(sent, received, 1e-4, "plane " + k + ": the gradient its windows sent");
      if (k >= 2) {
        assertArrayEquals(Arrays.copyOfRange(expected, k * plane, (k + 1) * plane),
            Arrays.copyOfRange(actual, k * plane, (k + 1) * plane), "plane " + k);
      }
    }
  }

  /** threshold_backward(max_pool2d backward(dy), relu(x)) for the three layouts above. */
  private static float[] reluPoolReference(Tensor x, Tensor dy, Pool p, long out, String layout) {
    int n = (int) x.dim(0);
    int c = (int) x.dim(1);
    int plane = p.h() * p.w();
    int windows = (int) (out * out);
    // The pooled tensor's input, per image: [relu(x)] or [relu(x), relu(-x)] along channels.
    int parts = layout.equals("relu") ? 1 : 2;
    Tensor pooledInput = Tensor.zeros(n, parts * c, p.h(), p.w());
    Tensor partGradient = Tensor.zeros(n, parts * c * windows);
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < parts * c * plane; k++) {
        float v = x.data()[i * c * plane + k % (c * plane)];
        pooledInput.data()[i * parts * c * plane + k] = Math.max(layout.equals("concat") && k >= c * plane ? -v : v, 0f);
      }
      System.arraycopy(dy.data(), i * parts * c * windows, partGradient.data(), i * parts * c * windows,
          parts * c * windows);
    }
    float[] pooledGrad = reference(pooledInput, partGradient, p, out, out);
    float[] grad = new float[x.size()];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < c * plane; k++) {
        float v = x.data()[i * c * plane + k];
        int at = i * parts * c * plane + k;
        // "read twice": relu(relu(x)) pools the same values, and both gradients meet at relu(x).
        float g = v > 0 ? pooledGrad[at] : 0f;
        if (layout.equals("concat")) {
          g -= -v > 0 ? pooledGrad[at + c * plane] : 0f;
        } else if (layout.equals("read twice")) {
          g += v > 0 ? pooledGrad[at + c * plane] : 0f;
        }
        grad[i * c * plane + k] = g;
      }
    }
    return grad;
  }

  /** Output size along one axis, with ONNX's rule that a ceil_mode window must start inside the input or its pad. */
  private static long outSize(long in, long k, long s, long padBegin, long padEnd, boolean ceil) {
    long span = in + padBegin + padEnd - k;
    long out = (ceil ? Math.floorDiv(span + s - 1, s) : Math.floorDiv(span, s)) + 1;
    return ceil && (out - 1) * s >= in + padBegin ? out - 1 : out;
  }

  /** PyTorch's max_pool2d backward: max_pool2d_with_indices (strict greater keeps the first) and its scatter-add. */
  private static float[] reference(Tensor x, Tensor dy, Pool p, long outH, long outW) {
    int n = (int) x.dim(0);
    int c = (int) x.dim(1);
    int h = p.h();
    int w = p.w();
    float[] grad = new float[x.size()];
    for (int plane = 0; plane < n * c; plane++) {
      for (int oh = 0; oh < outH; oh++) {
        for (int ow = 0; ow < outW; ow++) {
          int best = -1;
          for (int i = 0; i < p.kernel()[0]; i++) {
            int row = (int) (oh * p.strides()[0] - p.pads()[0] + i);
            for (int j = 0; j < p.kernel()[1]; j++) {
              int col = (int) (ow * p.strides()[1] - p.pads()[1] + j);
              if (row < 0 || row >= h || col < 0 || col >= w) {
                continue;
              }
              int at = plane * h * w + row * w + col;
              if (best < 0 || x.data()[at] > x.data()[best]) {
                best = at;
              }
            }
          }
          grad[best] += dy.data()[(int) ((plane * outH + oh) * outW + ow)];
        }
      }
    }
    return grad;
  }
}

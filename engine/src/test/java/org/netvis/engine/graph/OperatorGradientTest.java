package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.TestGraph;

/**
 * Every gradient rule against central finite differences on small graphs built here, including the
 * edge cases that break naive implementations.
 */
class OperatorGradientTest {
  @TempDir Path dir;

  /** A small graph; {@code step} is the finite-difference step (smaller where kinks are dense). */
  record Case(String name, int opset, long c, long h, long w, double step, Function<TestGraph, String> body) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case of(String name, long c, long h, long w, Function<TestGraph, String> body) {
    return new Case(name, 17, c, h, w, 1e-2, body);
  }

  /** Piecewise-linear ops with dense kinks (clipping, overlapping max windows) need a finer step. */
  static Case fine(String name, long c, long h, long w, Function<TestGraph, String> body) {
    return new Case(name, 17, c, h, w, 1e-3, body);
  }

  static Stream<Case> cases() {
    return Stream.of(
        of("Conv 3x3 pad 1", 2, 6, 6, g -> g.op("Conv", List.of("x", g.random(0.5, 3, 2, 3, 3), g.random(0.1, 3)),
            "pads", new long[] {1, 1, 1, 1})),
        of("Conv stride 2 on odd size, asymmetric pads", 2, 7, 7, g -> g.op("Conv",
            List.of("x", g.random(0.5, 3, 2, 3, 3)), "strides", new long[] {2, 2}, "pads", new long[] {0, 1, 1, 2})),
        of("Conv groups 2, dilation 2", 4, 7, 7, g -> g.op("Conv", List.of("x", g.random(0.5, 4, 2, 3, 3)),
            "group", 2L, "dilations", new long[] {2, 2}, "pads", new long[] {2, 2, 2, 2})),
        of("Conv depthwise stride 2", 3, 8, 8, g -> g.op("Conv", List.of("x", g.random(0.5, 3, 1, 3, 3)),
            "group", 3L, "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1})),
        of("Conv depthwise, multiplier 2, strides 2 and 3, odd sizes, asymmetric pads, dilation 2", 3, 9, 11,
            g -> g.op("Conv", List.of("x", g.random(0.5, 6, 1, 3, 3)), "group", 3L, "strides", new long[] {2, 3},
                "dilations", new long[] {2, 1}, "pads", new long[] {2, 0, 1, 2})),
        of("Conv depthwise stride 2 whose adjoint would need negative pads (kernel 1, no pads)", 3, 7, 7,
            g -> g.op("Conv", List.of("x", g.random(0.5, 3, 1, 1, 1)), "group", 3L, "strides", new long[] {2, 2})),
        of("Conv depthwise stride 1", 3, 6, 6, g -> g.op("Conv", List.of("x", g.random(0.5, 6, 1, 3, 3)),
            "group", 3L, "pads", new long[] {1, 1, 1, 1})),
        of("Conv 7x7 stride 2 pad 3 into 3 channels (phase adjoint), odd sizes", 3, 15, 17, g -> g.op("Conv",
            List.of("x", g.random(0.2, 8, 3, 7, 7)), "strides", new long[] {2, 2}, "pads", new long[] {3, 3, 3, 3})),
        of("Conv 11x11 stride 4 pad 2 (phase adjoint), unused last column", 3, 21, 22, g -> g.op("Conv",
            List.of("x", g.random(0.1, 56, 3, 11, 11)), "strides", new long[] {4, 4}, "pads", new long[] {2, 2, 2, 2})),
        of("Conv 8x9 strides 2 and 3, asymmetric pads (phase adjoint)", 2, 12, 14, g -> g.op("Conv",
            List.of("x", g.random(0.2, 10, 2, 8, 9)), "strides", new long[] {2, 3}, "pads", new long[] {3, 4, 1, 0})),
        of("Conv 8x8 stride 8 patch embedding (patch adjoint)", 3, 16, 24, g -> g.op("Conv",
            List.of("x", g.random(0.1, 5, 3, 8, 8), g.random(0.1, 5)), "strides", new long[] {8, 8})),
        of("Conv 3x8 strides 3 and 8 patches of a computed tensor (patch adjoint)", 2, 6, 16, g -> g.op("Conv",
            List.of(g.op("Mul", List.of("x", "x")), g.random(0.2, 4, 2, 3, 8)), "strides", new long[] {3, 8})),
        of("Conv 8x8 stride 8 on sizes that leave a remainder (ConvTranspose path)", 2, 10, 17, g -> g.op("Conv",
            List.of("x", g.random(0.1, 3, 2, 8, 8)), "strides", new long[] {8, 8})),
        of("Conv 4x4 stride 4 patches, rows too narrow for the patch adjoint (ConvTranspose path)", 3, 8, 12,
            g -> g.op("Conv", List.of("x", g.random(0.3, 5, 3, 4, 4), g.random(0.1, 5)), "strides", new long[] {4, 4})),
        of("Conv 7x7 stride 2 from 8 channels into 8 (interleave too dear: ConvTranspose path)", 2, 9, 9,
            g -> g.op("Conv", List.of(g.op("Conv", List.of("x", g.random(0.5, 8, 2, 1, 1))), g.random(0.1, 8, 8, 7, 7)),
                "strides", new long[] {2, 2}, "pads", new long[] {3, 3, 3, 3})),
        of("Conv 3x3 stride 2 pad 1 between 6 channels, even sizes (ConvTranspose path, ResNet's downsampling)", 2, 8,
            10, g -> g.op("Conv", List.of(g.op("Conv", List.of("x", g.random(0.5, 6, 2, 1, 1))),
                g.random(0.2, 6, 6, 3, 3)), "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1})),
        of("Conv 3x3 stride 2 without pads, odd size (ConvTranspose path, SqueezeNet's first layer)", 2, 9, 11,
            g -> g.op("Conv", List.of("x", g.random(0.3, 4, 2, 3, 3)), "strides", new long[] {2, 2})),
        of("Conv 3x3 strides 1 and 2 (ConvTranspose path)", 2, 6, 9,
            g -> g.op("Conv", List.of("x", g.random(0.3, 3, 2, 3, 3)), "strides", new long[] {1, 2},
                "pads", new long[] {1, 0, 1, 1})),
        of("Conv 1x1 with padding (ConvTranspose path)", 2, 5, 5, g -> g.op("Conv",
            List.of("x", g.random(0.5, 3, 2, 1, 1)), "pads", new long[] {1, 0, 1, 1})),
        of("Conv auto_pad SAME_UPPER stride 2", 2, 7, 6, g -> g.op("Conv", List.of("x", g.random(0.5, 2, 2, 3, 3)),
            "strides", new long[] {2, 2}, "auto_pad", "SAME_UPPER")),
        of("Conv non-square kernel", 2, 6, 7, g -> g.op("Conv", List.of("x", g.random(0.5, 2, 2, 2, 3)),
            "pads", new long[] {1, 0, 0, 2})),
        of("Relu", 2, 4, 4, g -> g.op("Relu", List.of(g.op("Conv", List.of("x", g.random(0.5, 2, 2, 1, 1)))))),
        fine("Clip as ReLU6", 2, 4, 4, g -> g.op("Clip", List.of(g.op("Mul", List.of("x", g.floats(new float[] {4f}))),
            g.floats(new float[] {0f}), g.floats(new float[] {6f})))),
        of("Sigmoid", 2, 4, 4, g -> g.op("Sigmoid", List.of("x"))),
        of("HardSigmoid", 2, 4, 4, g -> g.op("HardSigmoid", List.of(g.op("Mul", List.of("x", g.floats(new float[] {3f})))),
            "alpha", 0.3f, "beta", 0.4f)),
        of("HardSwish", 2, 4, 4, g -> g.op("HardSwish", List.of(g.op("Mul", List.of("x", g.floats(new float[] {3f})))))),
        of("Elu, Selu and Celu with alphas and gamma of their own", 2, 4, 4, g -> {
          String scaled = g.op("Mul", List.of("x", g.floats(new float[] {2f})));
          String elu = g.op("Elu", List.of(scaled), "alpha", 0.7f);
          String selu = g.op("Selu", List.of(scaled), "alpha", 1.3f, "gamma", 0.9f);
          return g.op("Add", List.of(g.op("Add", List.of(elu, selu)), g.op("Celu", List.of(scaled), "alpha", 1.7f)));
        }),
        of("Selu with ONNX's default constants", 2, 4, 4, g -> g.op("Selu", List.of(g.op("Mul", List.of("x",
            g.floats(new float[] {2f})))))),
        of("PRelu with a slope per channel, and with one slope", 3, 4, 4, g -> {
          String scaled = g.op("Mul", List.of("x", g.floats(new float[] {2f})));
          String perChannel = g.op("PRelu", List.of(scaled, g.floats(new float[] {0.25f, -0.5f, 1.5f}, 3, 1, 1)));
          return g.op("Mul", List.of(perChannel, g.op("PRelu", List.of(scaled, g.floats(new float[] {0.1f})))));
        }),
        of("PRelu whose slope depends on the input", 2, 3, 3, g -> {
          String slope = g.op("Sigmoid", List.of(g.op("GlobalAveragePool", List.of("x"))));
          return g.op("PRelu", List.of(g.op("Mul", List.of("x", g.floats(new float[] {2f}))), slope));
        }),
        fine("ThresholdedRelu alpha 0.3", 2, 4, 4, g -> g.op("ThresholdedRelu", List.of(g.op("Mul", List.of("x",
            g.floats(new float[] {2f})))), "alpha", 0.3f)),
        of("Softplus and Softsign", 2, 4, 4, g -> {
          String scaled = g.op("Mul", List.of("x", g.floats(new float[] {3f})));
          return g.op("Mul", List.of(g.op("Softplus", List.of(scaled)), g.op("Softsign", List.of(scaled))));
        }),
        new Case("Mish (opset 18)", 18, 2, 4, 4, 1e-2, g -> g.op("Mish", List.of(g.op("Mul", List.of("x",
            g.floats(new float[] {3f})))))),
        new Case("Gelu, exact and tanh approximation (opset 20)", 20, 2, 4, 4, 1e-2, g -> {
          String scaled = g.op("Mul", List.of("x", g.floats(new float[] {2f})));
          return g.op("Mul", List.of(g.op("Gelu", List.of(scaled)), g.op("Gelu", List.of(scaled), "approximate", "tanh")));
        }),
        of("Add, Sub, Mul, Div with broadcasting", 2, 4, 4, g -> {
          String pooled = g.op("GlobalAveragePool", List.of("x"));
          String gate = g.op("Sigmoid", List.of(pooled));
          String scaled = g.op("Mul", List.of("x", gate));
          String shifted = g.op("Sub", List.of(g.op("Add", List.of(scaled, g.random(1, 2, 1, 1))), pooled));
          String denom = g.op("Add", List.of(g.op("Mul", List.of(gate, gate)), g.floats(new float[] {1f})));
          return g.op("Div", List.of(shifted, denom));
        }),
        of("a tensor consumed by two nodes", 2, 5, 5, g -> {
          String a = g.op("Conv", List.of("x", g.random(0.5, 2, 2, 3, 3)), "pads", new long[] {1, 1, 1, 1});
          String b = g.op("Relu", List.of("x"));
          return g.op("Add", List.of(g.op("Mul", List.of(a, "x")), b));
        }),
        fine("MaxPool 3x3 stride 2 ceil_mode (8x8 -> 4x4)", 2, 8, 8, g -> g.op("MaxPool", List.of("x"),
            "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2}, "ceil_mode", 1L)),
        fine("MaxPool asymmetric pads", 2, 6, 6, g -> g.op("MaxPool", List.of("x"),
            "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2}, "pads", new long[] {0, 0, 1, 1})),
        fine("MaxPool dilations", 1, 7, 7, g -> g.op("MaxPool", List.of("x"),
            "kernel_shape", new long[] {2, 2}, "dilations", new long[] {2, 2})),
        of("AveragePool ceil_mode count_include_pad", 2, 7, 7, g -> g.op("AveragePool", List.of("x"),
            "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1},
            "ceil_mode", 1L, "count_include_pad", 1L)),
        of("AveragePool ceil_mode excluding pads", 2, 6, 7, g -> g.op("AveragePool", List.of("x"),
            "kernel_shape", new long[] {3, 2}, "strides", new long[] {2, 2}, "pads", new long[] {1, 0, 0, 1},
            "ceil_mode", 1L)),
        of("AveragePool zoo style 13x13", 2, 13, 13, g -> g.op("AveragePool", List.of("x"),
            "kernel_shape", new long[] {13, 13})),
        of("GlobalAveragePool", 3, 5, 4, g -> g.op("GlobalAveragePool", List.of("x"))),
        of("ReduceMean keepdims 0", 2, 4, 5, g -> g.op("ReduceMean", List.of("x"), "axes", new long[] {2, 3},
            "keepdims", 0L)),
        of("BatchNormalization", 3, 4, 4, g -> g.op("BatchNormalization", List.of("x", g.random(1, 3), g.random(1, 3),
            g.random(1, 3), g.floats(new float[] {0.5f, 1.5f, 2f}, 3)), "epsilon", 1e-3f)),
        of("Gemm transB and MatMul", 2, 3, 3, g -> {
          String flat = g.op("Flatten", List.of("x"));
          String h1 = g.op("Gemm", List.of(flat, g.random(0.3, 5, 18), g.random(0.1, 5)), "transB", 1L, "alpha", 0.7f);
          String h2 = g.op("MatMul", List.of(h1, g.random(0.3, 5, 4)));
          String h2t = g.op("Transpose", List.of(h2));
          return g.op("Gemm", List.of(h2t, g.random(0.3, 3, 4), g.random(0.1, 3)), "transA", 1L, "transB", 1L);
        }),
        of("MatMul between two active tensors", 1, 3, 4, g -> {
          String a = g.op("Reshape", List.of("x", g.ints(0, 3, 4)));
          String at = g.op("Transpose", List.of(a), "perm", new long[] {0, 2, 1});
          return g.op("MatMul", List.of(a, at));
        }),
        of("MatMul of transposed operands: the first operand, a Transpose read twice, one that broadcasts",
            2, 3, 4, g -> {
          String a = g.op("Reshape", List.of("x", g.ints(0, 6, 4)));
          String first = g.op("MatMul", List.of(g.op("Transpose", List.of(a), "perm", new long[] {0, 2, 1}), a));
          String at = g.op("Transpose", List.of(a), "perm", new long[] {0, 2, 1});
          String twice = g.op("Add", List.of(g.op("MatMul", List.of(at, a)), g.op("MatMul", List.of(at, g.random(0.3, 6, 4)))));
          String shared = g.op("Transpose", List.of(g.op("Reshape", List.of("x", g.ints(0, 1, 6, 4)))),
              "perm", new long[] {0, 1, 3, 2});
          String broadcast = g.op("MatMul", List.of(g.op("Reshape", List.of("x", g.ints(0, 2, 3, 4))), shared));
          return g.op("Concat", List.of(g.op("Flatten", List.of(first)),
              g.op("Flatten", List.of(twice)), g.op("Flatten", List.of(broadcast))), "axis", 1L);
        }),
        of("Flatten, Reshape, Transpose, Squeeze, Unsqueeze", 2, 3, 4, g -> {
          String t = g.op("Transpose", List.of("x"), "perm", new long[] {0, 3, 1, 2});
          String u = g.op("Unsqueeze", List.of(t, g.ints(1)));
          String s = g.op("Squeeze", List.of(u, g.ints(1)));
          return g.op("Reshape", List.of(g.op("Flatten", List.of(s), "axis", 1L), g.ints(0, 4, -1)));
        }),
        of("Concat of branches (fire module)", 2, 5, 5, g -> {
          String sq = g.op("Relu", List.of(g.op("Conv", List.of("x", g.random(0.5, 2, 2, 1, 1)))));
          String e1 = g.op("Conv", List.of(sq, g.random(0.5, 3, 2, 1, 1)));
          String e3 = g.op("Conv", List.of(sq, g.random(0.5, 2, 2, 3, 3)), "pads", new long[] {1, 1, 1, 1});
          return g.op("Concat", List.of(e1, e3, sq), "axis", 1L);
        }),
        fine("Conv 3x3 over a Concat behind an Identity (each part's adjoint from its slice of the weights)", 2, 5, 6,
            g -> {
              String relu = g.op("Relu", List.of(g.op("Conv", List.of("x", g.random(0.5, 3, 2, 1, 1)))));
              String joined = g.op("Concat", List.of(relu, g.op("Mul", List.of("x", "x")), relu), "axis", 1L);
              return g.op("Conv", List.of(g.op("Identity", List.of(joined)), g.random(0.3, 4, 8, 3, 3),
                  g.random(0.1, 4)), "pads", new long[] {1, 1, 1, 1});
            }),
        of("Conv 3x3 stride 2 over a Concat with a part that does not depend on the input", 2, 7, 8, g -> {
          String zeros = g.op("ConstantOfShape", List.of(g.op("Shape", List.of("x"))));
          String joined = g.op("Concat", List.of(g.op("Tanh", List.of("x")), zeros, g.op("Neg", List.of("x"))),
              "axis", -3L);
          return g.op("Conv", List.of(joined, g.random(0.3, 3, 6, 3, 3)), "strides", new long[] {2, 2},
              "pads", new long[] {1, 1, 1, 1});
        }),
        of("Split with an unused part", 4, 3, 3, g -> {
          List<String> parts = g.ops("Split", List.of("x", g.ints(1, 3)), 2, "axis", 1L);
          return g.op("Mul", List.of(parts.get(1), parts.get(1)));
        }),
        of("Slice", 3, 6, 5, g -> g.op("Slice", List.of("x", g.ints(1, 1, -4), g.ints(3, 5, 100), g.ints(1, 2, 3)))),
        of("Gather with repeated and negative indices", 3, 4, 4, g -> {
          String idx = g.ints(2, 0, 2, -1);
          return g.op("Gather", List.of("x", idx), "axis", 3L);
        }),
        of("Pad with positive and negative pads", 2, 5, 5, g -> g.op("Pad", List.of("x",
            g.ints(0, 0, 1, -1, 0, 0, -2, 2), g.floats(new float[] {0.5f})))),
        of("Neg, Sum and Expand", 2, 3, 3, g -> {
          String pooled = g.op("GlobalAveragePool", List.of("x"));
          String wide = g.op("Expand", List.of(pooled, g.ints(1, 2, 3, 3)));
          return g.op("Sum", List.of(g.op("Neg", List.of("x")), wide, g.op("Mul", List.of("x", "x"))));
        }),
        of("Softmax", 2, 3, 3, g -> g.op("Softmax", List.of(g.op("Flatten", List.of("x"))), "axis", 1L)),
        of("Dropout and Identity", 2, 3, 3, g -> g.op("Identity", List.of(g.op("Dropout", List.of("x"))))),
        of("shape path: Shape, Gather, Unsqueeze, Concat, Cast feed a Reshape", 2, 3, 3, g -> {
          String shape = g.op("Shape", List.of("x"));
          String batch = g.op("Gather", List.of(shape, g.ints(0)), "axis", 0L);
          String target = g.op("Concat", List.of(batch, g.ints(-1)), "axis", 0L);
          String cast = g.op("Cast", List.of(target), "to", 7L);
          return g.op("Reshape", List.of(g.op("Relu", List.of("x")), cast));
        }),
        of("LayerNormalization (opset 17) over the last axis, scale and bias", 2, 3, 4, g ->
            g.op("LayerNormalization", List.of("x", g.random(1, 4), g.random(0.5, 4)), "axis", -1L, "epsilon", 1e-5f)),
        of("LayerNormalization over the last two axes", 2, 3, 4, g ->
            g.op("LayerNormalization", List.of("x", g.random(1, 3, 4)), "axis", 2L)),
        of("decomposed LayerNorm: ReduceMean, Sub, Pow 2, Sqrt, Div (opset-13 exports)", 2, 3, 4, g -> {
          String mean = g.op("ReduceMean", List.of("x"), "axes", new long[] {-1});
          String centred = g.op("Sub", List.of("x", mean));
          String variance = g.op("ReduceMean", List.of(g.op("Pow", List.of(centred, g.floats(new float[] {2f})))),
              "axes", new long[] {-1});
          String std = g.op("Sqrt", List.of(g.op("Add", List.of(variance, g.floats(new float[] {1e-5f})))));
          return g.op("Add", List.of(g.op("Mul", List.of(g.op("Div", List.of(centred, std)), g.random(1, 4))),
              g.random(0.5, 4)));
        }),
        of("GELU with Erf", 2, 3, 3, g -> {
          String erf = g.op("Erf", List.of(g.op("Div", List.of("x", g.floats(new float[] {1.4142135f})))));
          String half = g.op("Mul", List.of(g.op("Add", List.of(erf, g.floats(new float[] {1f}))), g.floats(new float[] {0.5f})));
          return g.op("Mul", List.of("x", half));
        }),
        of("Tanh, Exp, Log, Sqrt, Reciprocal, Abs", 2, 3, 3, g -> {
          String positive = g.op("Add", List.of(g.op("Mul", List.of("x", "x")), g.floats(new float[] {0.5f})));
          String a = g.op("Tanh", List.of("x"));
          String b = g.op("Exp", List.of(g.op("Mul", List.of("x", g.floats(new float[] {0.5f})))));
          String c = g.op("Log", List.of(positive));
          String d = g.op("Sqrt", List.of(positive));
          String r = g.op("Reciprocal", List.of(positive));
          String abs = g.op("Abs", List.of(g.op("Add", List.of("x", g.floats(new float[] {0.3f})))));
          return g.op("Sum", List.of(a, b, c, d, r, abs));
        }),
        of("Pow with constant exponents (3, 0.5 per channel, 0)", 2, 3, 3, g -> {
          String positive = g.op("Add", List.of(g.op("Mul", List.of("x", "x")), g.floats(new float[] {0.5f})));
          String cube = g.op("Pow", List.of("x", g.floats(new float[] {3f})));
          String root = g.op("Pow", List.of(positive, g.floats(new float[] {0.5f, 1.5f}, 2, 1, 1)));
          String one = g.op("Pow", List.of(positive, g.floats(new float[] {0f})));
          return g.op("Sum", List.of(cube, root, one));
        }),
        fine("Max and Min elementwise, three inputs with broadcasting", 2, 3, 3, g -> {
          String other = g.op("Mul", List.of("x", g.floats(new float[] {-0.7f})));
          String max = g.op("Max", List.of("x", other, g.random(0.5, 3)));
          return g.op("Add", List.of(max, g.op("Min", List.of("x", g.floats(new float[] {0.2f})))));
        }),
        of("Softmax on axis 1 and LogSoftmax on axis 2 of 4-D tensors", 3, 3, 4, g -> {
          String soft = g.op("Softmax", List.of("x"), "axis", 1L);
          String log = g.op("LogSoftmax", List.of("x"), "axis", 2L);
          return g.op("Mul", List.of(soft, log));
        }),
        of("attention: batched 4-D MatMul, Transpose, Softmax, broadcasting MatMul with weights", 2, 4, 6, g -> {
          String tokens = g.op("Reshape", List.of("x", g.ints(0, 2, 4, 6)));
          String q = g.op("MatMul", List.of(tokens, g.random(0.4, 6, 6)));
          String k = g.op("MatMul", List.of(tokens, g.random(0.4, 6, 6)));
          String scores = g.op("MatMul", List.of(q, g.op("Transpose", List.of(k), "perm", new long[] {0, 1, 3, 2})));
          String attention = g.op("Softmax", List.of(scores), "axis", -1L);
          String mixed = g.op("MatMul", List.of(attention, tokens));
          return g.op("Transpose", List.of(mixed), "perm", new long[] {0, 3, 1, 2});
        }),
        of("Where with a constant condition", 2, 3, 3, g -> {
          String cond = g.op("Greater", List.of(g.random(1, 3, 3), g.floats(new float[] {0f})));
          return g.op("Where", List.of(cond, g.op("Mul", List.of("x", "x")), g.op("Neg", List.of("x"))));
        }),
        of("Tile", 2, 3, 2, g -> g.op("Mul", List.of(g.op("Tile", List.of("x", g.ints(1, 2, 1, 3))), g.random(1, 4, 3, 6)))),
        of("class token: Concat with an expanded parameter, Gather of token 0", 2, 3, 3, g -> {
          String flat = g.op("Reshape", List.of("x", g.ints(0, 2, 9)));
          String tokens = g.op("Transpose", List.of(flat), "perm", new long[] {0, 2, 1});
          String shape = g.op("Shape", List.of(tokens));
          String batch = g.op("Gather", List.of(shape, g.ints(0)), "axis", 0L);
          String target = g.op("Concat", List.of(batch, g.ints(1, 2)), "axis", 0L);
          String cls = g.op("Expand", List.of(g.random(1, 1, 1, 2), target));
          String all = g.op("Concat", List.of(cls, tokens), "axis", 1L);
          String mixed = g.op("MatMul", List.of(g.op("Softmax", List.of(g.op("MatMul", List.of(all,
              g.op("Transpose", List.of(all), "perm", new long[] {0, 2, 1})))), "axis", -1L), all));
          String index = g.scalarInt(0);
          return g.op("Gather", List.of(mixed, index), "axis", 1L);
        }),
        of("ReduceSum (axes input, keepdims 0) and ReduceSumSquare, ReduceL2", 2, 3, 4, g -> {
          String s = g.op("ReduceSum", List.of("x", g.ints(1, 3)), "keepdims", 0L);
          String q = g.op("ReduceSumSquare", List.of("x"), "axes", new long[] {2});
          String n = g.op("ReduceL2", List.of("x"), "axes", new long[] {1}, "keepdims", 0L);
          return g.op("Concat", List.of(g.op("Flatten", List.of(s)), g.op("Flatten", List.of(q)), g.op("Flatten", List.of(n))),
              "axis", 1L);
        }),
        of("ReduceL1 (keepdims 0), ReduceLogSumExp, and Mean of three inputs with broadcasting", 2, 3, 4, g -> {
          String l1 = g.op("ReduceL1", List.of(g.op("Add", List.of("x", g.floats(new float[] {0.3f})))), "axes",
              new long[] {1, 3}, "keepdims", 0L);
          String lse = g.op("ReduceLogSumExp", List.of(g.op("Mul", List.of("x", g.floats(new float[] {3f})))), "axes",
              new long[] {2});
          String mean = g.op("Mean", List.of("x", g.op("Mul", List.of("x", "x")), g.random(1, 4)));
          return g.op("Concat", List.of(g.op("Flatten", List.of(l1)), g.op("Flatten", List.of(lse)),
              g.op("Flatten", List.of(mean))), "axis", 1L);
        }),
        fine("ReduceMax, ReduceMin and GlobalMaxPool", 2, 3, 4, g -> {
          String max = g.op("ReduceMax", List.of("x"), "axes", new long[] {1, 3}, "keepdims", 0L);
          String min = g.op("ReduceMin", List.of("x"), "axes", new long[] {2});
          String global = g.op("GlobalMaxPool", List.of("x"));
          return g.op("Concat", List.of(g.op("Flatten", List.of(max)), g.op("Flatten", List.of(min)),
              g.op("Flatten", List.of(global))), "axis", 1L);
        }),
        of("DepthToSpace in DCR and CRD order, SpaceToDepth (8 channels from a 1x1 Conv)", 2, 2, 3, g -> {
          String wide = g.op("Conv", List.of("x", g.random(0.5, 8, 2, 1, 1)));
          String dcr = g.op("DepthToSpace", List.of(wide), "blocksize", 2L);
          String crd = g.op("DepthToSpace", List.of(g.op("Mul", List.of(wide, wide))), "blocksize", 2L, "mode", "CRD");
          return g.op("SpaceToDepth", List.of(g.op("Mul", List.of(dcr, g.op("Sigmoid", List.of(crd))))), "blocksize", 2L);
        }),
        new Case("GroupNormalization, scale and bias per group (opset 18, 6 channels from a 1x1 Conv)", 18, 2, 3, 3, 1e-2,
            g -> g.op("GroupNormalization", List.of(g.op("Conv", List.of("x", g.random(0.5, 6, 2, 1, 1))),
                g.random(1, 3), g.random(0.5, 3)), "num_groups", 3L, "epsilon", 1e-4f)),
        new Case("GroupNormalization, scale and bias per channel (opset 21)", 21, 4, 3, 3, 1e-2, g ->
            g.op("GroupNormalization", List.of("x", g.random(1, 4), g.random(0.5, 4)), "num_groups", 2L)),
        new Case("RMSNormalization (opset 23) over the last axis", 23, 2, 3, 4, 1e-2, g ->
            g.op("RMSNormalization", List.of("x", g.random(1, 4)), "epsilon", 1e-4f)),
        new Case("RMSNormalization over channels and space (axis 1), scale per channel", 23, 3, 3, 4, 1e-2, g ->
            g.op("RMSNormalization", List.of("x", g.random(1, 3, 1, 1)), "axis", 1L)),
        new Case("Attention (opset 23) 4-D, 2 heads, K and V projected, default scale", 23, 2, 3, 4, 1e-2, g ->
            g.op("Attention", List.of("x", g.op("MatMul", List.of("x", g.random(0.7, 4, 4))),
                g.op("MatMul", List.of("x", g.random(0.7, 4, 4)))))),
        new Case("Attention 3-D, 4 query heads sharing 2 key/value heads, value size 3, float mask, softcap 1.5",
            23, 1, 3, 8, 1e-2, g -> {
              String x3 = g.op("Reshape", List.of("x", g.ints(0, 3, 8)));
              String y = g.op("Attention", List.of(x3, g.op("MatMul", List.of(x3, g.random(0.7, 8, 4))),
                  g.op("MatMul", List.of(x3, g.random(0.7, 8, 6))), g.random(1, 3, 3)),
                  "q_num_heads", 4L, "kv_num_heads", 2L, "softcap", 1.5f);
              return g.op("Unsqueeze", List.of(y, g.ints(1)));
            }),
        new Case("Attention causal over 3 of 4 keys, boolean mask, scale 0.4", 23, 2, 4, 3, 1e-2, g -> {
          String kv = g.op("Slice", List.of("x", g.ints(1), g.ints(4), g.ints(2)));
          String mask = g.bools(new boolean[] {true, false, true, true, true, false, true, true, true, true, false,
              true}, 1, 1, 4, 3);
          return g.op("Attention", List.of("x", kv, g.op("Mul", List.of(kv, kv)), mask), "is_causal", 1L,
              "scale", 0.4f);
        }),
        of("Sin + Cos + Tan(0.3 x)", 2, 3, 4, g -> g.op("Add", List.of(g.op("Add", List.of(g.op("Sin", List.of("x")),
            g.op("Cos", List.of("x")))), g.op("Tan", List.of(g.op("Mul", List.of("x", g.floats(new float[] {0.3f})))))))),
        of("Asin(t) Acos(t) + Atanh(t), t = 0.9 tanh(x)", 2, 3, 4, g -> {
          String t = g.op("Mul", List.of(g.op("Tanh", List.of("x")), g.floats(new float[] {0.9f})));
          return g.op("Add", List.of(g.op("Mul", List.of(g.op("Asin", List.of(t)), g.op("Acos", List.of(t)))),
              g.op("Atanh", List.of(t))));
        }),
        of("Atan(x) + Sinh(x / 2) + Cosh(x / 2) Asinh(x) + Acosh(x^2 + 1.5)", 2, 3, 4, g -> {
          String half = g.op("Mul", List.of("x", g.floats(new float[] {0.5f})));
          String sum = g.op("Add", List.of(g.op("Atan", List.of("x")), g.op("Sinh", List.of(half))));
          String product = g.op("Mul", List.of(g.op("Cosh", List.of(half)), g.op("Asinh", List.of("x"))));
          String acosh = g.op("Acosh", List.of(g.op("Add", List.of(g.op("Mul", List.of("x", "x")),
              g.floats(new float[] {1.5f})))));
          return g.op("Add", List.of(g.op("Add", List.of(sum, product)), acosh));
        }),
        of("GatherElements along the width, an index picked twice", 2, 3, 4, g -> {
          String batch = g.op("Slice", List.of(g.op("Shape", List.of("x")), g.ints(0), g.ints(1)));
          String shape = g.op("Concat", List.of(batch, g.ints(2, 3, 3)), "axis", 0L);
          String indices = g.op("Expand", List.of(g.intTensor(new long[] {3, 0, 3, 1, 2, 2, 0, 1, 3, 2, 2, 0, 1, 1, 3, 0,
              3, 2}, 1, 2, 3, 3), shape));
          return g.op("GatherElements", List.of("x", indices), "axis", 3L);
        }),
        of("GatherND of (channel, row) pairs, one pair twice, over x transposed to [C, H, W, N]", 2, 3, 4, g -> {
          String t = g.op("Transpose", List.of("x"), "perm", new long[] {1, 2, 3, 0});
          String picked = g.op("GatherND", List.of(t, g.intTensor(new long[] {0, 1, 1, 2, 0, 1, 1, 0}, 4, 2)));
          return g.op("Transpose", List.of(picked), "perm", new long[] {2, 0, 1});
        }),
        of("Gather at indices the image chooses (token pruning: TopK of the columns' sums, index_select), also negative",
            2, 3, 5, g -> {
          String sums = g.op("ReduceSum", List.of("x", g.ints(1, 2)), "keepdims", 0L);
          String chosen = g.ops("TopK", List.of(sums, g.ints(2)), 2, "axis", -1L).get(1);
          String first = g.op("Gather", List.of(chosen, g.scalarInt(0)), "axis", 0L);
          String fromEnd = g.op("Sub", List.of(first, g.intTensor(new long[] {5}, 1)));
          String kept = g.op("Gather", List.of("x", first), "axis", 3L);
          String again = g.op("Gather", List.of("x", g.op("Concat", List.of(fromEnd, first), "axis", 0L)), "axis", 3L);
          return g.op("Concat", List.of(kept, g.op("Mul", List.of(again, again))), "axis", 3L);
        }),
        of("LpNormalization: L2 over the channels, L1 along the width", 2, 3, 4, g ->
            g.op("Add", List.of(g.op("LpNormalization", List.of("x"), "axis", 1L),
                g.op("LpNormalization", List.of("x"), "p", 1L)))),
        of("ScatterND: rows 0 and 2 of the height overwritten by a function of rows 1 and 2 (x[:, :, [0, 2]] = ...)",
            2, 3, 4, g -> {
          String t = g.op("Transpose", List.of("x"), "perm", new long[] {2, 0, 1, 3});
          String rows = g.op("Slice", List.of(t, g.ints(1), g.ints(3), g.ints(0)));
          String written = g.op("ScatterND", List.of(t, g.intTensor(new long[] {0, 2}, 2, 1),
              g.op("Mul", List.of(rows, g.op("Sigmoid", List.of(rows))))));
          return g.op("Transpose", List.of(written), "perm", new long[] {1, 2, 0, 3});
        }),
        of("ScatterND with reduction add, one row twice (index_put_ with accumulate)", 2, 3, 4, g -> {
          String t = g.op("Transpose", List.of("x"), "perm", new long[] {2, 0, 1, 3});
          String rows = g.op("Slice", List.of(t, g.ints(0), g.ints(2), g.ints(0)));
          String added = g.op("ScatterND", List.of(g.op("Tanh", List.of(t)), g.intTensor(new long[] {1, 1}, 2, 1),
              g.op("Mul", List.of(rows, rows))), "reduction", "add");
          return g.op("Transpose", List.of(added), "perm", new long[] {1, 2, 0, 3});
        }),
        of("ScatterElements along the width, updates from the image", 2, 3, 4, g -> {
          String batch = g.op("Slice", List.of(g.op("Shape", List.of("x")), g.ints(0), g.ints(1)));
          String shape = g.op("Concat", List.of(batch, g.ints(2, 3, 2)), "axis", 0L);
          // Two distinct positions a row: with reduction none, ONNX leaves repeated ones undefined.
          String indices = g.op("Expand", List.of(g.intTensor(new long[] {3, 0, 1, 2, 0, 3, 2, 1, 0, 1, 3, 2},
              1, 2, 3, 2), shape));
          String updates = g.op("Exp", List.of(g.op("Slice", List.of("x", g.ints(1), g.ints(3), g.ints(3)))));
          return g.op("ScatterElements", List.of("x", indices, updates), "axis", 3L);
        }),
        of("Einsum '...ij,jk->...ik' (a weight applied along the last axis, any leading axes)", 2, 3, 4, g ->
            g.op("Einsum", List.of("x", g.random(0.5, 4, 5)), "equation", "...ij,jk->...ik")),
        of("Einsum implicit '...ij,...kj' of two image-dependent operands (ellipsis first, then i and k)", 2, 3, 4, g ->
            g.op("Einsum", List.of("x", g.op("Tanh", List.of("x"))), "equation", "...ij,...kj")),
        of("ConvTranspose 3x3 stride 2, pads 1, output_padding 1 (learned x2 upsampling)", 2, 3, 4, g ->
            g.op("ConvTranspose", List.of("x", g.random(0.4, 2, 3, 3, 3), g.random(0.1, 3)), "strides",
                new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1}, "output_padding", new long[] {1, 1})),
        of("ConvTranspose grouped (2), dilation 2, asymmetric pads", 4, 3, 3, g ->
            g.op("ConvTranspose", List.of("x", g.random(0.4, 4, 3, 2, 2)), "group", 2L, "dilations",
                new long[] {2, 2}, "pads", new long[] {0, 1, 1, 0})),
        new Case("Col2Im 3x3 blocks, stride 2, pads 1: overlapping (VOLO's fold; im2col Conv path)", 18, 2, 9, 9, 1e-2,
            g -> g.op("Col2Im", List.of(g.op("Reshape", List.of("x", g.ints(0, 18, 9))), g.ints(5, 5), g.ints(3, 3)),
                "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1})),
        new Case("Col2Im 2x3 blocks, dilations 2 and 1, strides 1 and 2, asymmetric pads, uncovered edge", 18, 1, 6, 6,
            1e-2, g -> g.op("Col2Im", List.of(g.op("Reshape", List.of("x", g.ints(0, 6, 6))), g.ints(4, 5),
                g.ints(2, 3)), "dilations", new long[] {2, 1}, "strides", new long[] {1, 2},
                "pads", new long[] {0, 1, 1, 0})),
        new Case("Col2Im 2x2 blocks tiling a 4x6 image (MobileViTv2's fold; Reshape path)", 18, 2, 6, 6, 1e-2, g ->
            g.op("Col2Im", List.of(g.op("Reshape", List.of("x", g.ints(0, 12, 6))), g.ints(4, 6), g.ints(2, 2)),
                "strides", new long[] {2, 2})),
        new Case("Upsample nearest x2 and x3, scales attribute (opset 8)", 8, 2, 3, 3, 1e-2, g ->
            g.op("Upsample", List.of("x"), "scales", new float[] {1f, 1f, 2f, 3f})),
        new Case("Upsample linear x2 and x1.5, scales input (opset 9)", 9, 2, 3, 4, 1e-2, g ->
            g.op("Upsample", List.of("x", g.floats(new float[] {1f, 1f, 2f, 1.5f}, 4)), "mode", "linear")),
        new Case("Upsample nearest x1.5 and x2.5, scales input (opset 9)", 9, 2, 3, 4, 1e-2, g ->
            g.op("Upsample", List.of("x", g.floats(new float[] {1f, 1f, 1.5f, 2.5f}, 4)))),
        of("TopK 2 along the width (values)", 2, 3, 4, g -> g.ops("TopK", List.of("x", g.ints(2)), 2, "axis", -1L).get(0)),
        new Case("Trilu lower with k = 1 (opset 14)", 14, 2, 3, 4, 1e-2, g ->
            g.op("Trilu", List.of("x", g.scalarInt(1)), "upper", 0L)),
        of("CumSum along the height, and exclusive reversed along the width", 2, 3, 4, g ->
            g.op("Mul", List.of(g.op("CumSum", List.of("x", g.scalarInt(2))),
                g.op("CumSum", List.of("x", g.scalarInt(-1)), "exclusive", 1L, "reverse", 1L)))),
        new Case("GridSample bilinear, zeros padding, grid from the image (opset 16)", 16, 2, 5, 6, 1e-3, g ->
            g.op("GridSample", List.of("x", OperatorGradientTest.gridFrom(g)))),
        new Case("GridSample bilinear, border padding, align_corners", 16, 2, 5, 6, 1e-3, g ->
            g.op("GridSample", List.of("x", OperatorGradientTest.gridFrom(g)), "padding_mode", "border",
                "align_corners", 1L)),
        new Case("GridSample linear (opset 20), zeros, a fixed grid for every image", 20, 2, 5, 6, 1e-3, g -> {
          String batch = g.op("Slice", List.of(g.op("Shape", List.of("x")), g.ints(0), g.ints(1)));
          String grid = g.op("Expand", List.of(g.random(0.7, 1, 4, 3, 2),
              g.op("Concat", List.of(batch, g.ints(4, 3, 2)), "axis", 0L)));
          return g.op("GridSample", List.of("x", grid), "mode", "linear");
        }),
        new Case("AffineGrid align_corners, the grid itself as output", 20, 2, 5, 6, 1e-2, g -> {
          String pooled = g.op("Flatten", List.of(g.op("GlobalAveragePool", List.of("x"))));
          String theta = g.op("Reshape", List.of(g.op("Gemm", List.of(pooled, g.random(0.5, 2, 6))), g.ints(-1, 2, 3)));
          return g.op("AffineGrid", List.of(theta, g.op("Shape", List.of("x"))), "align_corners", 1L);
        }),
        // With a grid computed from the image, nearest sampling jumps where finite differences cross a
        // pixel boundary; GridSampleReferenceTest checks that case against PyTorch.
        new Case("GridSample nearest, a fixed grid", 16, 2, 5, 6, 1e-3, g -> {
          String batch = g.op("Slice", List.of(g.op("Shape", List.of("x")), g.ints(0), g.ints(1)));
          String grid = g.op("Expand", List.of(g.random(0.7, 1, 4, 3, 2),
              g.op("Concat", List.of(batch, g.ints(4, 3, 2)), "axis", 0L)));
          return g.op("GridSample", List.of("x", grid), "mode", "nearest");
        }),
        of("InstanceNormalization", 3, 3, 4, g ->
            g.op("InstanceNormalization", List.of("x", g.random(1, 3), g.random(0.5, 3)), "epsilon", 1e-4f)),
        of("LRN size 5 over 7 channels (zoo AlexNet/GoogLeNet settings, larger alpha)", 2, 3, 3, g ->
            g.op("LRN", List.of(g.op("Conv", List.of("x", g.random(1, 7, 2, 1, 1)))), "size", 5L, "alpha", 0.5f,
                "beta", 0.75f, "bias", 1f)),
        of("LRN size 3", 3, 2, 3, g -> g.op("LRN", List.of("x"), "size", 3L, "alpha", 0.3f, "beta", 0.6f, "bias", 2f)),
        of("Resize linear half_pixel x2 (upsample, as F.interpolate bilinear)", 2, 3, 4, g ->
            g.op("Resize", List.of("x", "", g.floats(new float[] {1f, 1f, 2f, 2f}, 4)), "mode", "linear")),
        of("Resize linear align_corners x2 and x1.5", 2, 3, 4, g ->
            g.op("Resize", List.of("x", "", g.floats(new float[] {1f, 1f, 2f, 1.5f}, 4)), "mode", "linear",
                "coordinate_transformation_mode", "align_corners")),
        of("Resize linear pytorch_half_pixel downsample x0.5", 2, 5, 6, g ->
            g.op("Resize", List.of("x", "", g.floats(new float[] {1f, 1f, 0.5f, 0.5f}, 4)), "mode", "linear",
                "coordinate_transformation_mode", "pytorch_half_pixel")),
        of("Resize cubic half_pixel x2 and x1.5 (F.interpolate bicubic: a = -0.75, edges clamped)", 2, 4, 5, g ->
            g.op("Resize", List.of("x", "", g.floats(new float[] {1f, 1f, 2f, 1.5f}, 4)), "mode", "cubic")),
        new Case("Resize cubic to sizes 3x7 (axes, opset 18), align_corners, a = -0.5, exclude_outside", 18, 2, 5, 4, 1e-2,
            g -> g.op("Resize", List.of("x", "", "", g.ints(3, 7)), "mode", "cubic", "axes", new long[] {2, 3},
                "coordinate_transformation_mode", "align_corners", "cubic_coeff_a", -0.5f, "exclude_outside", 1L)),
        of("Resize cubic pytorch_half_pixel downsample x0.5", 2, 6, 6, g ->
            g.op("Resize", List.of("x", "", g.floats(new float[] {1f, 1f, 0.5f, 0.5f}, 4)), "mode", "cubic",
                "coordinate_transformation_mode", "pytorch_half_pixel")),
        of("Resize nearest asymmetric floor x2 and x3", 2, 3, 3, g ->
            g.op("Resize", List.of("x", "", g.floats(new float[] {1f, 1f, 2f, 3f}, 4)), "mode", "nearest",
                "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor")),
        of("Resize nearest half_pixel round_prefer_floor x1.5 and x1.25", 2, 4, 4, g ->
            g.op("Resize", List.of("x", "", g.floats(new float[] {1f, 1f, 1.5f, 1.25f}, 4)), "mode", "nearest")),
        of("Resize nearest to sizes on the spatial axes of a channels-last tensor", 2, 3, 4, g -> {
          String nhwc = g.op("Transpose", List.of("x"), "perm", new long[] {0, 2, 3, 1});
          String shape = g.op("Shape", List.of(nhwc));
          String batch = g.op("Slice", List.of(shape, g.ints(0), g.ints(1)));
          String sizes = g.op("Concat", List.of(batch, g.ints(6, 5, 2)), "axis", 0L);
          return g.op("Resize", List.of(nhwc, "", "", sizes), "mode", "nearest", "nearest_mode", "ceil",
              "coordinate_transformation_mode", "tf_half_pixel_for_nn");
        }),
        of("Einsum: bhnd,bhmd->bhnm, then nm,bcnm->bc with a summed-out letter", 2, 3, 4, g -> {
          String scores = g.op("Einsum", List.of("x", g.op("Mul", List.of("x", g.random(1, 3, 4)))), "equation", "bhnd,bhmd->bhnm");
          return g.op("Einsum", List.of(g.random(1, 3, 3), scores), "equation", "nm, bcnm -> bc");
        }),
        of("Slice with steps 2 and -1 (patch merging, flips)", 2, 6, 5, g -> {
          String even = g.op("Slice", List.of("x", g.ints(0, 1), g.ints(100, 100), g.ints(2, 3), g.ints(2, 2)));
          String flipped = g.op("Slice", List.of("x", g.ints(-1, 4), g.ints(Long.MIN_VALUE, 0), g.ints(2, 3), g.ints(-1, -3)));
          return g.op("Concat", List.of(g.op("Flatten", List.of(even)), g.op("Flatten", List.of(flipped))), "axis", 1L);
        }),
        of("channel split with Slice bounds computed from Shape (ShuffleNetV2)", 4, 3, 3, g -> {
          String shape = g.op("Shape", List.of("x"));
          String channels = g.op("Gather", List.of(shape, g.ints(1)), "axis", 0L);
          String half = g.op("Div", List.of(channels, g.ints(2)));
          String whole = g.op("Mul", List.of(half, g.ints(2)));
          String first = g.op("Slice", List.of("x", g.ints(0), half, g.ints(1)));
          String second = g.op("Slice", List.of("x", half, whole, g.ints(1)));
          return g.op("Mul", List.of(g.op("Relu", List.of(first)), second));
        }),
        of("attention's q, k, v as scalar Gathers of one tensor (Swin), beside a use of the whole", 3, 2, 4, g -> {
          String qkv = g.op("Transpose", List.of("x"), "perm", new long[] {1, 0, 2, 3});
          String q = g.op("Gather", List.of(qkv, g.scalarInt(0)), "axis", 0L);
          String k = g.op("Gather", List.of(qkv, g.scalarInt(1)), "axis", 0L);
          String v = g.op("Gather", List.of(qkv, g.scalarInt(-1)), "axis", 0L);
          String scores = g.op("Softmax", List.of(g.op("MatMul", List.of(q, g.op("Transpose", List.of(k),
              "perm", new long[] {0, 2, 1})))), "axis", -1L);
          String attended = g.op("MatMul", List.of(scores, v));
          String whole = g.op("ReduceSum", List.of(g.op("Mul", List.of(qkv, qkv)), g.ints(0)), "keepdims", 0L);
          return g.op("Add", List.of(attended, whole));
        }),
        of("attention's q, k, v as Gathers of a 5-D permute (timm, Swin), gathered straight from its input", 3, 4, 4,
            g -> attentionFromQkv(g, "x")),
        of("Gathers of one axis: consecutive indices, a scalar, a repeated scalar, a gap", 2, 2, 5, g -> {
          String run = g.op("Gather", List.of("x", g.ints(1, 2, 3)), "axis", 3L);
          String first = g.op("Gather", List.of("x", g.scalarInt(0)), "axis", 3L);
          String again = g.op("Gather", List.of("x", g.scalarInt(2)), "axis", 3L);
          return g.op("Concat", List.of(g.op("Flatten", List.of(g.op("Mul", List.of(run, run)))),
              g.op("Flatten", List.of(first)), g.op("Flatten", List.of(g.op("Mul", List.of(again, first))))), "axis", 1L);
        }),
        of("patch merging: the four every-other slices of H and W, concatenated (Swin, space-to-depth)", 3, 4, 6, g -> {
          List<String> quarter = new java.util.ArrayList<>();
          for (long[] offset : new long[][] {{0, 0}, {1, 0}, {0, 1}, {1, 1}}) {
            quarter.add(g.op("Slice", List.of("x", g.ints(offset[0], offset[1]), g.ints(100, 100), g.ints(2, 3),
                g.ints(2, 2))));
          }
          String merged = g.op("Concat", quarter, "axis", 1L);
          return g.op("Mul", List.of(merged, g.op("Sigmoid", List.of(merged))));
        }),
        of("every-other slices that do not cover the tensor, one of them twice, beside a use of the whole", 2, 4, 6, g -> {
          String a = g.op("Slice", List.of("x", g.ints(0, 0), g.ints(100, 100), g.ints(2, 3), g.ints(2, 2)));
          String b = g.op("Slice", List.of("x", g.ints(1, 1), g.ints(100, 100), g.ints(2, 3), g.ints(2, 2)));
          String c = g.op("Slice", List.of("x", g.ints(1), g.ints(100), g.ints(3), g.ints(3)));
          return g.op("Concat", List.of(g.op("Flatten", List.of(g.op("Mul", List.of(a, b)))),
              g.op("Flatten", List.of(g.op("Mul", List.of(a, a)))), g.op("Flatten", List.of(c)),
              g.op("Flatten", List.of(g.op("Mul", List.of("x", "x"))))), "axis", 1L);
        }),
        of("Slices of one axis with gaps, beside a use of the whole", 2, 3, 6, g -> {
          String a = g.op("Slice", List.of("x", g.ints(0), g.ints(2), g.ints(3)));
          String b = g.op("Slice", List.of("x", g.ints(3), g.ints(5), g.ints(3)));
          String whole = g.op("Mul", List.of("x", g.op("GlobalAveragePool", List.of("x"))));
          return g.op("Concat", List.of(g.op("Flatten", List.of(g.op("Mul", List.of(a, a)))),
              g.op("Flatten", List.of(g.op("Sigmoid", List.of(b)))), g.op("Flatten", List.of(whole))), "axis", 1L);
        }),
        of("BatchNormalization parameters shared through Identity (DenseNet exports)", 3, 4, 4, g -> {
          String scale = g.op("Identity", List.of(g.random(1, 3)));
          String bias = g.op("Identity", List.of(g.random(1, 3)));
          String mean = g.op("Identity", List.of(g.random(1, 3)));
          String var = g.op("Identity", List.of(g.floats(new float[] {0.5f, 1.5f, 2f}, 3)));
          return g.op("BatchNormalization", List.of("x", scale, bias, mean, var));
        }),
        new Case("opset 18: Split(num_outputs), ReduceMean and ReduceMax (axes inputs), Pad(axes), Resize", 18, 4, 4, 6,
            1e-3, g -> {
          List<String> halves = g.ops("Split", List.of("x"), 2, "axis", 1L, "num_outputs", 2L);
          String mean = g.op("ReduceMean", List.of(halves.get(0), g.ints(2, 3)), "keepdims", 1L);
          String max = g.op("ReduceMax", List.of(g.op("Mul", List.of(halves.get(1), halves.get(1))), g.ints(3)));
          String padded = g.op("Pad", List.of(g.op("Mul", List.of(halves.get(0), max)), g.ints(1, 2), "", g.ints(3)));
          String resized = g.op("Resize", List.of(padded, "", g.floats(new float[] {1f, 1f, 2f, 0.5f}, 4)), "mode",
              "linear", "antialias", 0L);
          return g.op("Concat", List.of(g.op("Flatten", List.of(resized)), g.op("Flatten", List.of(mean))), "axis", 1L);
        }),
        new Case("opset 9: Dropout(ratio), Unsqueeze(axes), Softmax(axis), Pad(pads attr), Clip(attrs)", 9, 2, 4, 4, 1e-3, g -> {
          String d = g.op("Dropout", List.of("x"), "ratio", 0.5f);
          String p = g.op("Pad", List.of(d), "pads", new long[] {0, 0, 1, 0, 0, 0, 0, 1});
          String c = g.op("Clip", List.of(g.op("Mul", List.of(p, g.floats(new float[] {3f})))), "min", 0f, "max", 6f);
          String u = g.op("Unsqueeze", List.of(g.op("Flatten", List.of(c))), "axes", new long[] {1});
          return g.op("Softmax", List.of(u), "axis", 2L);
        }));
  }

  /**
   * qkv.reshape(B, N, 3, H, d).permute(2, 0, 3, 1, 4); q, k, v = qkv[0], qkv[1], qkv[-1]; softmax(q k^T) v,
   * over x of shape [B, 3, 4, 4] (N = 2 tokens, H = 2 heads, d = 4).
   */
  static String attentionFromQkv(TestGraph g, String x) {
    String qkv = g.op("Transpose", List.of(g.op("Reshape", List.of(x, g.ints(0, 2, 3, 2, 4)))),
        "perm", new long[] {2, 0, 3, 1, 4});
    String q = g.op("Gather", List.of(qkv, g.scalarInt(0)), "axis", 0L);
    String k = g.op("Gather", List.of(qkv, g.scalarInt(1)), "axis", 0L);
    String v = g.op("Gather", List.of(qkv, g.scalarInt(-1)), "axis", 0L);
    String scores = g.op("Softmax", List.of(g.op("MatMul", List.of(q, g.op("Transpose", List.of(k),
        "perm", new long[] {0, 1, 3, 2})))), "axis", -1L);
    return g.op("MatMul", List.of(scores, v));
  }

  /** A sampling grid [N, 5, 6, 2] computed from x [N, 2, 5, 6]: 1.2 tanh of a 1x1 convolution, so some samples fall outside. */
  static String gridFrom(TestGraph g) {
    String conv = g.op("Conv", List.of("x", g.random(0.8, 2, 2, 1, 1), g.random(0.3, 2)));
    String grid = g.op("Transpose", List.of(conv), "perm", new long[] {0, 2, 3, 1});
    return g.op("Mul", List.of(g.op("Tanh", List.of(grid)), g.floats(new float[] {1.2f})));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void gradientMatchesFiniteDifferences(Case c) throws Exception {
    TestGraph g = new TestGraph(c.opset(), 42, c.c(), c.h(), c.w());
    String out = c.body().apply(g);
    Path model = g.save(dir, "model", out);
    double err = GradientCheck.relativeError(model, dir, c.c(), c.h(), c.w(), c.step(), 7);
    System.out.printf("%-80s relative L2 error vs finite differences %.2e%n", c.name(), err);
    assertTrue(err < 2e-3, c.name() + ": relative error " + err);
  }
}

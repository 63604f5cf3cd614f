package org.netvis.plugins.sanitycheck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Files;
import java.util.List;
import java.util.Random;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.TensorProtos;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.SharedData;
import org.netvis.engine.testing.TestGraph;

/** Cascading randomization on SqueezeNet's layers, and the map comparisons against values by hand. */
class SanityCheckTest {

  @Test
  void layersRunFromTheLogitsDownAndRedrawKeepsEachTensorsSpread() throws Exception {
    ModelProto model = ModelProto.parseFrom(Files.readAllBytes(SharedData.squeezenet()));
    List<ModelRandomization.Layer> layers = ModelRandomization.layers(model);
    assertEquals(26, layers.size(), "SqueezeNet 1.1 has 26 convolutions");
    assertEquals("/classifier/classifier.1/Conv", layers.get(0).node());
    assertEquals("/features/features.0/Conv", layers.get(25).node());
    ModelProto two = ModelRandomization.randomized(model, layers, 2, 7);
    TensorProto before = find(model, layers.get(1).parameters().get(0));
    TensorProto after = find(two, layers.get(1).parameters().get(0));
    float[] a = TensorProtos.toFloats(before);
    float[] b = TensorProtos.toFloats(after);
    assertNotEquals(a[0], b[0]);
    assertEquals(std(a), std(b), 0.05 * std(a), "redrawn with the tensor's own standard deviation");
    String untouched = layers.get(2).parameters().get(0);
    assertArrayEquals(TensorProtos.toFloats(find(model, untouched)), TensorProtos.toFloats(find(two, untouched)));
    // The same layer gets the same draw at every later stage: stages are cumulative.
    assertArrayEquals(b, TensorProtos.toFloats(find(ModelRandomization.randomized(model, layers, 3, 7),
        layers.get(1).parameters().get(0))));
  }

  @Test
  void anAllZeroTensorIsLeftAsItIsAndAConstantOneDrawsAsZeros() throws Exception {
    ModelProto trained = ModelProto.parseFrom(Files.readAllBytes(SharedData.squeezenet()));
    List<ModelRandomization.Layer> layers = ModelRandomization.layers(trained);
    List<String> params = layers.get(0).parameters();
    assertEquals(2, params.size(), "the classifier's Conv: weights and bias");
    // The bias zeroed, as in a model whose folded batch norms were never trained.
    ModelProto model = withBias(trained, params.get(1), 0f);
    ModelProto redrawn = ModelRandomization.withLayerRedrawn(model, layers, 0, 7);
    assertEquals(find(model, params.get(1)), find(redrawn, params.get(1)),
        "zeros stay the same zeros (no -0.0 from a draw scaled by 0), byte for byte");
    assertNotEquals(find(model, params.get(0)), find(redrawn, params.get(0)), "the weights are redrawn");
    // A bias of ones has no spread either, but a mean: N(0, 0) draws zeros.
    float[] ones = TensorProtos.toFloats(find(ModelRandomization.withLayerRedrawn(withBias(trained, params.get(1), 1f),
        layers, 0, 7), params.get(1)));
    for (float f : ones) {
      assertEquals(0f, f, 0f);
    }
  }

  /**
   * A model in the QOperator format, as netvis reads it: its layers are the convolutions and the
   * classifier, whose parameters are their dequantized integer weights and biases; a redraw puts a
   * float32 draw with the dequantized weights' spread in their place and leaves every quantizer's
   * scale and zero point as they were; the copy runs.
   */
  @Test
  void aQuantizedModelsLayersAreItsDequantizedWeightsNotItsQuantizersScales(@TempDir Path dir) throws Exception {
    int uint8 = TensorProto.DataType.UINT8_VALUE;
    int int8 = TensorProto.DataType.INT8_VALUE;
    TestGraph g = new TestGraph(13, 3, 3, 6, 6);
    String s = g.floats(new float[] {0.05f});
    String z = g.integers(uint8, new long[] {128});
    Random random = new Random(5);
    float[] scales = new float[16];
    for (int c = 0; c < 16; c++) {
      scales[c] = 0.01f * (1 + c % 3);
    }
    long[] w1 = new long[16 * 3 * 3 * 3];
    long[] w2 = new long[2 * 16];
    for (int i = 0; i < w1.length; i++) {
      w1[i] = random.nextInt(255) - 127;
    }
    for (int i = 0; i < w2.length; i++) {
      w2[i] = random.nextInt(255) - 127;
    }
    String xq = g.op("QuantizeLinear", List.of("x", s, z));
    String convWeights = g.integers(int8, w1, 16, 3, 3, 3);
    long[] bias = new long[16];
    for (int c = 0; c < 16; c++) {
      bias[c] = 100 * (c - 8);
    }
    String convBias = g.integers(TensorProto.DataType.INT32_VALUE, bias, 16);
    String conv = g.op("QLinearConv", List.of(xq, s, z, convWeights, g.floats(scales, 16),
        g.integers(int8, new long[16], 16), s, z, convBias), "pads", new long[] {1, 1, 1, 1});
    String pooled = g.contribOp("QLinearGlobalAveragePool", List.of(conv, s, z, s, z));
    String fcWeights = g.integers(int8, w2, 2, 16);
    String fc = g.contribOp("QGemm", List.of(g.op("Flatten", List.of(pooled)), s, z, fcWeights,
        g.floats(new float[] {0.02f}), g.integers(int8, new long[] {0}), "", s, z), "transB", 1L);
    Path file = g.save(dir, "qoperator", g.op("DequantizeLinear", List.of(fc, s, z)));
    ModelProto model = ModelGraph.read(file).proto();
    List<ModelRandomization.Layer> layers = ModelRandomization.layers(model);
    assertEquals(List.of("Gemm", "Conv"), layers.stream().map(ModelRandomization.Layer::opType).toList());
    assertEquals(List.of(fcWeights + "/dequantized", convWeights + "/dequantized", convBias + "/dequantized"),
        layers.stream().flatMap(l -> l.parameters().stream()).toList(), "weights (and the conv's bias), no scale");

    ModelProto redrawn = ModelRandomization.randomized(model, layers, 2, 7);
    String weights = layers.get(1).parameters().get(0);
    float[] drawn = TensorProtos.toFloats(find(redrawn, weights));
    float[] trained = new float[w1.length];
    for (int i = 0; i < w1.length; i++) {
      trained[i] = w1[i] * scales[i / 27];
    }
    assertEquals(std(trained), std(drawn), 0.1 * std(trained), "drawn with the dequantized weights' spread");
    assertTrue(redrawn.getGraph().getNodeList().stream().noneMatch(n -> n.getOutput(0).equals(weights)));
    for (TensorProto t : model.getGraph().getInitializerList()) {
      if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE && TensorProtos.shape(t).length <= 1) {
        assertEquals(t, find(redrawn, t.getName()), "quantizer parameter " + t.getName() + " unchanged");
      }
    }
    try (Engine engine = GradientCheck.open(file, dir);
        Engine copy = engine.openVariant("redrawn", redrawn)) {
      Tensor x = Tensor.zeros(1, 3, 6, 6);
      for (int i = 0; i < x.size(); i++) {
        x.data()[i] = (float) random.nextGaussian();
      }
      float[] a = engine.vjp(x, new Tensor(new long[] {1, 2}, new float[] {1, -1})).inputGradient().data();
      float[] b = copy.vjp(x, new Tensor(new long[] {1, 2}, new float[] {1, -1})).inputGradient().data();
      assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
    }
  }

  /**
   * A dynamically quantized product (quantize_dynamic's DynamicQuantizeLinear, MatMulInteger, Cast,
   * and a Mul by the activation's and the weights' per-column scales): the layer is the MatMul and its
   * weights; the per-column scale, multiplied by a constant, is not a layer to redraw.
   */
  @Test
  void aDynamicallyQuantizedProductsScalesAreNotALayer(@TempDir Path dir) throws Exception {
    int int8 = TensorProto.DataType.INT8_VALUE;
    TestGraph g = new TestGraph(17, 3, 1, 4, 4);
    List<String> q = g.ops("DynamicQuantizeLinear", List.of(g.op("Flatten", List.of("x"))), 3);
    long[] levels = new long[16 * 3];
    for (int i = 0; i < levels.length; i++) {
      levels[i] = (i * 37) % 127 - 63;
    }
    String weights = g.integers(int8, levels, 16, 3);
    String product = g.op("MatMulInteger", List.of(q.get(0), weights, q.get(2)));
    String scales = g.op("Mul", List.of(q.get(1), g.floats(new float[] {0.01f, 0.02f, 0.03f}, 3)));
    Path file = g.save(dir, "dynamic", g.op("Mul", List.of(g.op("Cast", List.of(product), "to",
        (long) TensorProto.DataType.FLOAT_VALUE), scales)));
    List<ModelRandomization.Layer> layers = ModelRandomization.layers(ModelGraph.read(file).proto());
    assertEquals(List.of("MatMul"), layers.stream().map(ModelRandomization.Layer::opType).toList());
    assertEquals(1, layers.get(0).parameters().size());
    assertTrue(layers.get(0).parameters().get(0).contains(weights + "/less_zero_point"), layers.toString());
  }

  private static ModelProto withBias(ModelProto model, String bias, float value) {
    var g = model.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto t = g.getInitializer(i);
      if (t.getName().equals(bias)) {
        float[] v = new float[TensorProtos.toFloats(t).length];
        java.util.Arrays.fill(v, value);
        g.setInitializer(i, TensorProtos.floats(t.getName(), TensorProtos.shape(t), v));
      }
    }
    return model.toBuilder().setGraph(g).build();
  }

  @Test
  void spearmanAndSsimAgainstValuesByHand() {
    float[] x = {1, 2, 3, 4};
    assertEquals(1.0, spearman(x, new float[] {10, 20, 30, 40}), 1e-12);
    assertEquals(-1.0, spearman(x, new float[] {4, 3, 2, 1}), 1e-12);
    assertArrayEquals(new double[] {1.5, 1.5, 3, 4}, MapSimilarity.ranks(new float[] {5, 5, 6, 7}), 1e-12);
    // Ranks (1, 2, 3.5, 3.5) against (1, 2, 3, 4), both with mean 2.5: co-moments 4.5, 4.5 and 5.
    double r = MapSimilarity.pearson(new double[] {1, 2, 3.5, 3.5}, new double[] {1, 2, 3, 4});
    assertEquals(4.5 / Math.sqrt(4.5 * 5), r, 1e-12);
    float[] map = new float[16 * 16];
    for (int i = 0; i < map.length; i++) {
      map[i] = (float) Math.sin(i * 0.37);
    }
    assertEquals(1.0, MapSimilarity.ssim(map, map, 16, 16), 1e-9);
    float[] other = map.clone();
    for (int i = 0; i < other.length; i += 2) {
      other[i] = 0;
    }
    assertTrue(MapSimilarity.ssim(map, other, 16, 16) < 0.9);
  }

  @Test
  void ranksFollowTheirDefinitionWithTiesSignsAndZeros() {
    Random random = new Random(3);
    float[] values = {-2.5f, -1e-30f, -0.0f, 0.0f, Float.MIN_VALUE, 1e-30f, 0.25f, 3f, Float.MAX_VALUE,
        -Float.MAX_VALUE};
    for (int trial = 0; trial < 20; trial++) {
      float[] v = new float[1 + random.nextInt(300)];
      for (int i = 0; i < v.length; i++) {
        v[i] = random.nextBoolean() ? values[random.nextInt(values.length)] : (float) random.nextGaussian();
      }
      double[] r = MapSimilarity.ranks(v);
      for (int i = 0; i < v.length; i++) {
        // 1 + the values below it + half of the others equal to it (-0.0 equals 0.0).
        int below = 0;
        int equal = 0;
        for (float u : v) {
          below += u < v[i] ? 1 : 0;
          equal += u == v[i] ? 1 : 0;
        }
        assertEquals(1 + below + (equal - 1) / 2.0, r[i], 0, "rank of " + v[i] + " in trial " + trial);
      }
    }
  }

  @Test
  void ssimEqualsTheWindowByWindowDefinition() {
    Random random = new Random(5);
    int[][] sizes = {{11, 11}, {16, 16}, {23, 31}, {224, 224}};
    for (int[] hw : sizes) {
      float[] a = new float[hw[0] * hw[1]];
      float[] b = new float[a.length];
      for (int i = 0; i < a.length; i++) {
        a[i] = Math.abs((float) random.nextGaussian());
        b[i] = 0.5f * a[i] + Math.abs((float) random.nextGaussian());
      }
      assertEquals(windowByWindowSsim(a, b, hw[0], hw[1]), MapSimilarity.ssim(a, b, hw[0], hw[1]), 1e-12,
          hw[0] + " x " + hw[1]);
    }
  }

  /**
   * SSIM as Wang et al. (2004) define it: at every position where an 11 x 11 window fits, Gaussian
   * (sigma 1.5) weighted means, variances and covariance of the two maps scaled by their maxima.
   */
  private static double windowByWindowSsim(float[] a, float[] b, int h, int w) {
    double maxA = 0;
    double maxB = 0;
    for (int i = 0; i < a.length; i++) {
      maxA = Math.max(maxA, a[i]);
      maxB = Math.max(maxB, b[i]);
    }
    double[][] weight = new double[11][11];
    double sum = 0;
    for (int i = 0; i < 11; i++) {
      for (int j = 0; j < 11; j++) {
        weight[i][j] = Math.exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2 * 1.5 * 1.5));
        sum += weight[i][j];
      }
    }
    double total = 0;
    int count = 0;
    for (int r = 0; r + 11 <= h; r++) {
      for (int c = 0; c + 11 <= w; c++) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < 11; i++) {
          for (int j = 0; j < 11; j++) {
            mx += weight[i][j] / sum * a[(r + i) * w + c + j] / maxA;
            my += weight[i][j] / sum * b[(r + i) * w + c + j] / maxB;
          }
        }
        double vx = 0;
        double vy = 0;
        double cov = 0;
        for (int i = 0; i < 11; i++) {
          for (int j = 0; j < 11; j++) {
            double dx = a[(r + i) * w + c + j] / maxA - mx;
            double dy = b[(r + i) * w + c + j] / maxB - my;
            vx += weight[i][j] / sum * dx * dx;
            vy += weight[i][j] / sum * dy * dy;
            cov += weight[i][j] / sum * dx * dy;
          }
        }
        total += (2 * mx * my + 1e-4) * (2 * cov + 9e-4) / ((mx * mx + my * my + 1e-4) * (vx + vy + 9e-4));
        count++;
      }
    }
    return total / count;
  }

  private static double spearman(float[] a, float[] b) {
    return MapSimilarity.pearson(MapSimilarity.ranks(a), MapSimilarity.ranks(b));
  }

  private static TensorProto find(ModelProto m, String name) {
    return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
  }

  private static double std(float[] v) {
    double mean = 0;
    for (float f : v) {
      mean += f;
    }
    mean /= v.length;
    double s = 0;
    for (float f : v) {
      s += (f - mean) * (f - mean);
    }
    return Math.sqrt(s / v.length);
  }
}

package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.TestGraph;

/** Behaviour of the builder beyond single-operator rules: ties, internal seeds, errors. */
class GradientGraphBuilderTest {
  @TempDir Path dir;

  @Test
  void maxPoolTiesSendTheGradientToTheFirstMaximumOfEachWindow() throws Exception {
    TestGraph g = new TestGraph(17, 1, 1, 5, 5);
    String pooled = g.op("MaxPool", List.of("x"), "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2});
    try (Engine engine = GradientCheck.open(g.save(dir, "ties", pooled), dir)) {
      Tensor x = Tensor.zeros(1, 1, 5, 5);
      java.util.Arrays.fill(x.data(), 1f);
      Tensor ct = new Tensor(new long[] {1, 4}, new float[] {1f, 2f, 3f, 4f});
      VjpResult r = engine.vjp(x, ct);
      float[] expected = new float[25];
      // Windows start at (0,0), (0,2), (2,0), (2,2); with all values equal the first element wins.
      expected[0] = 1f;
      expected[2] = 2f;
      expected[10] = 3f;
      expected[12] = 4f;
      assertArrayEquals(expected, r.inputGradient().data());
    }
  }

  /**
   * A gradient graph records the bytes of the float tensors its forward pass computes from one image
   * (the engine sizes its automatic gradient batches by them); the weights, the shape arithmetic and a
   * tensor computed from the weights alone do not count, nor does the batch: a file that fixes its
   * batch to 2 counts per image.
   */
  @Test
  void theForwardTensorsOfOneImageAreCountedInBytes() throws Exception {
    for (long batch : new long[] {-1, 2}) {
      TestGraph g = new TestGraph(17, 2, 3, 6, 5);
      String scale = g.op("Exp", List.of(g.random(0.1, 1, 4, 1, 1)));            // from the weights: not counted
      String conv = g.op("Conv", List.of("x", g.random(0.5, 4, 3, 3, 3)), "pads", new long[] {1, 1, 1, 1});
      String relu = g.op("Relu", List.of(g.op("Mul", List.of(conv, scale))));    // 2 x (4 x 6 x 5)
      String pooled = g.op("GlobalAveragePool", List.of(relu));                  // 4, then logits 4
      ai.onnx.proto.OnnxMl.ModelProto m = g.model(pooled, 4);
      if (batch > 0) {
        var input = m.getGraph().getInput(0).toBuilder();
        input.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0).clearDimParam().setDimValue(batch);
        m = m.toBuilder().setGraph(m.getGraph().toBuilder().setInput(0, input)).build();
      }
      GradientGraph vjp = new GradientGraphBuilder().build(ModelGraph.of(m, "counted"), 6, 5);
      // conv, mul and relu (120 floats each), the pooled tensor (4) and the logits (4)
      assertEquals((3 * 120 + 4 + 4) * Float.BYTES, vjp.imageActivationBytes(), "batch " + batch);
    }
  }

  /**
   * A forward graph whose nodes already carry the names the builder gives its own (a model netvis
   * rewrote when reading it, or one derived from netvis' output) still gets a gradient graph with
   * unique node names, which ONNX Runtime requires.
   */
  @Test
  void nodeNamesTheForwardGraphAlreadyUsesAreNotGivenAgain() throws Exception {
    TestGraph g = new TestGraph(17, 2, 2, 5, 5);
    Path plain = g.save(dir, "plain", g.op("Relu", List.of(g.op("Conv", List.of("x", g.random(0.5, 3, 2, 3, 3))))));
    List<String> taken = new GradientGraphBuilder().build(ModelGraph.read(plain), 5, 5).proto().getGraph()
        .getNodeList().stream().map(ai.onnx.proto.OnnxMl.NodeProto::getName).filter(n -> n.startsWith("netvis/")).toList();
    assertTrue(taken.size() > 3, taken.toString());
    // The same network with a side chain of Identity nodes named as the builder named its own.
    var model = g.model(g.op("Relu", List.of(g.op("Conv", List.of("x", g.random(0.5, 3, 2, 3, 3)))))).toBuilder();
    var graph = model.getGraphBuilder();
    String last = "x";
    for (int i = 0; i < taken.size(); i++) {
      graph.addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Identity").setName(taken.get(i))
          .addInput(last).addOutput("side_" + i));
      last = "side_" + i;
    }
    GradientGraph vjp = new GradientGraphBuilder().build(ModelGraph.of(model.build(), "side chain"), 5, 5);
    List<String> names = vjp.proto().getGraph().getNodeList().stream()
        .map(ai.onnx.proto.OnnxMl.NodeProto::getName).filter(n -> !n.isEmpty()).toList();
    assertEquals(names.size(), new java.util.HashSet<>(names).size(), "repeated node names: " + names);
  }

  @Test
  void attentionPartsAreGatheredFromThePermutesInputUnlessThePermutedTensorIsReadElsewhere() throws Exception {
    TestGraph g = new TestGraph(17, 3, 3, 4, 4);
    Path alone = g.save(dir, "qkv", OperatorGradientTest.attentionFromQkv(g, "x"));
    TestGraph h = new TestGraph(17, 3, 3, 4, 4);
    String attended = OperatorGradientTest.attentionFromQkv(h, "x");
    // The same graph with the permuted tensor also summed into the output.
    String qkv = h.model(attended).getGraph().getNode(1).getOutput(0);
    String whole = h.op("ReduceSum", List.of(qkv, h.ints(0)), "keepdims", 0L);
    Path shared = h.save(dir, "qkv_shared", h.op("Add", List.of(attended, whole)));
    assertEquals(0, permutes(alone));
    assertEquals(1, permutes(shared));
  }

  /** Transposes with attention's qkv permutation in the gradient graph. */
  private long permutes(Path model) throws Exception {
    GradientGraph vjp = new GradientGraphBuilder().build(ModelGraph.read(model), 4, 4);
    return vjp.proto().getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Transpose")
        && java.util.Arrays.equals(Attributes.getInts(n, "perm"), new long[] {2, 0, 3, 1, 4})).count();
  }

  /**
   * A Conv that alone reads a Concat along channels (SqueezeNet's Fire modules) sends each part its
   * own adjoint, with no Split of the joined gradient (ONNX Runtime runs Split in plain NCHW and
   * reorders around it); where the joined tensor is read a second time, the Concat's rule splits.
   */
  @Test
  void aConvOverAConcatSendsEachPartItsOwnAdjointUnlessTheJoinedTensorIsReadTwice() throws Exception {
    for (boolean readTwice : new boolean[] {false, true}) {
      TestGraph g = new TestGraph(17, 2, 2, 5, 5);
      String joined = g.op("Concat", List.of(g.op("Relu", List.of("x")), g.op("Neg", List.of("x"))), "axis", 1L);
      String conv = g.op("Conv", List.of(joined, g.random(0.3, 3, 4, 3, 3)), "pads", new long[] {1, 1, 1, 1});
      String out = readTwice ? g.op("Add", List.of(conv, g.op("Conv", List.of(joined, g.random(0.3, 3, 4, 1, 1))))) : conv;
      GradientGraph vjp = new GradientGraphBuilder().build(ModelGraph.read(g.save(dir, "parts" + readTwice, out)), 5, 5);
      List<String> ops = vjp.proto().getGraph().getNodeList().stream().map(n -> n.getOpType()).toList();
      assertEquals(readTwice ? 1 : 0, ops.stream().filter("Split"::equals).count(), ops.toString());
    }
  }

  /**
   * Where the input gradient comes out of a Reshape (a flattening model's, ViT's patch adjoint),
   * ONNX Runtime would copy it into the graph output on one thread; the builder writes it with a
   * Mul by a row of ones instead, and the gradient is the same to the bit. Where it comes out of
   * an operator that computes, the output stays an Identity.
   */
  @Test
  void aGradientThatLeavesThroughAReshapeIsWrittenByAMulByOnes() throws Exception {
    for (boolean masked : new boolean[] {false, true}) {
      TestGraph g = new TestGraph(17, 3, 2, 2, 3);
      float[] weights = new float[24];
      for (int i = 0; i < weights.length; i++) {
        weights[i] = (i * 7 % 9) - 4; // small integers: every product and sum exact
      }
      String in = masked ? g.op("Relu", List.of("x")) : "x";
      String logits = g.op("MatMul", List.of(g.op("Flatten", List.of(in)), g.floats(weights, 12, 2)));
      Path model = g.save(dir, "flat" + masked, logits);
      GradientGraph vjp = new GradientGraphBuilder().build(ModelGraph.read(model), 2, 3);
      ai.onnx.proto.OnnxMl.NodeProto writer = vjp.proto().getGraph().getNodeList().stream()
          .filter(n -> n.getOutputList().contains(VjpSpec.gradientName("x"))).findFirst().orElseThrow();
      assertEquals(masked ? "Identity" : "Mul", writer.getOpType(), writer.toString());
      try (Engine engine = GradientCheck.open(model, dir)) {
        float[] values = new float[12];
        for (int i = 0; i < values.length; i++) {
          values[i] = i % 4 == 0 ? -1f : i + 0.5f;
        }
        float[] cotangent = {1f, -2f};
        float[] expected = new float[12];
        for (int i = 0; i < 12; i++) {
          boolean passes = !masked || values[i] > 0;
          expected[i] = passes ? weights[2 * i] * cotangent[0] + weights[2 * i + 1] * cotangent[1] : 0f;
        }
        VjpResult r = engine.vjp(new Tensor(new long[] {1, 2, 2, 3}, values), new Tensor(new long[] {1, 2}, cotangent));
        // Delta 0: equal values; the mask leaves -0 where a negative gradient stops (PyTorch: +0).
        assertArrayEquals(expected, r.inputGradient().data(), 0f);
      }
    }
  }

  @Test
  void overlappingMaxPoolWindowsAddTheirGradients() throws Exception {
    TestGraph g = new TestGraph(17, 1, 1, 5, 5);
    String pooled = g.op("MaxPool", List.of("x"), "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2});
    try (Engine engine = GradientCheck.open(g.save(dir, "overlap", pooled), dir)) {
      Tensor x = Tensor.zeros(1, 1, 5, 5);
      x.data()[12] = 5f; // the centre lies in all four windows
      VjpResult r = engine.vjp(x, new Tensor(new long[] {1, 4}, new float[] {1f, 2f, 3f, 4f}));
      float[] expected = new float[25];
      expected[12] = 10f;
      assertArrayEquals(expected, r.inputGradient().data());
    }
  }

  @Test
  void maxPoolGradientFillsItsPlanesWithoutAnExpandWhichOnnxRuntimeRunsOnOneThread() throws Exception {
    TestGraph g = new TestGraph(17, 2, 3, 9, 9);
    String pooled = g.op("MaxPool", List.of("x"), "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2});
    GradientGraph vjp = new GradientGraphBuilder().build(ModelGraph.read(g.save(dir, "fill", pooled)), 9, 9);
    List<String> ops = vjp.proto().getGraph().getNodeList().stream().map(n -> n.getOpType()).toList();
    assertTrue(ops.contains("ScatterElements"), ops.toString());
    assertTrue(!ops.contains("Expand"), ops.toString());
  }

  @Test
  void maxPoolWinnersComeFromPlainPoolsUnlessThePoolIsDilated() throws Exception {
    // ONNX Runtime's MaxPool with an Indices output is 15-35x its plain one (MaxPoolWinners); the
    // winners' correctness, both ways, is MaxPoolGradientTest's.
    for (long variant : new long[] {0, 1, 2}) {
      TestGraph g = new TestGraph(17, 2, 3, 11, 11);
      long pad = variant == 1 ? 1 : 0;
      long dilation = variant == 2 ? 2 : 1;
      String pooled = g.op("MaxPool", List.of("x"), "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
          "pads", new long[] {pad, pad, pad, pad}, "dilations", new long[] {dilation, dilation});
      GradientGraph vjp = new GradientGraphBuilder().build(ModelGraph.read(g.save(dir, "winners" + variant, pooled)),
          11, 11);
      List<String> ops = vjp.proto().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
      List<NodeProto> pools = vjp.proto().getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("MaxPool"))
          .toList();
      long withIndices = pools.stream().filter(n -> n.getOutputCount() == 2).count();
      assertEquals(variant == 2 ? 1 : 0, withIndices, pools.toString());
      assertEquals(variant == 2 ? 1 + 1 : 1 + 9, pools.size(), "the forward pool, then y and 8 partial pools or the pool again");
      assertEquals(variant == 1, ops.contains("Pad"), "leading pads as -inf before the plain pools: " + ops);
    }
  }

  @Test
  void reluPassesTheGradientWhereverItsOutputIsPositiveDownToTheSmallestSubnormal() throws Exception {
    TestGraph g = new TestGraph(17, 1, 1, 2, 5);
    String out = g.op("Relu", List.of("x"));
    try (Engine engine = GradientCheck.open(g.save(dir, "relu", out), dir)) {
      float[] values = {-3e38f, -1f, -Float.MIN_VALUE, -0f, 0f, Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, 1f, 3e38f};
      float[] cotangent = new float[values.length];
      float[] expected = new float[values.length];
      for (int i = 0; i < values.length; i++) {
        cotangent[i] = i + 1.5f;
        // PyTorch's threshold_backward: the gradient passes where the output is positive.
        expected[i] = values[i] > 0 ? cotangent[i] : 0f;
      }
      VjpResult r = engine.vjp(new Tensor(new long[] {1, 1, 2, 5}, values),
          new Tensor(new long[] {1, values.length}, cotangent));
      assertArrayEquals(expected, r.inputGradient().data());
    }
  }

  /**
   * A builder keeps its last preparation (canonical model and probed shapes) for the next graph of
   * the same model and size: every graph it builds in turn, for other specs, sizes and models, is
   * byte for byte the graph a fresh builder makes.
   */
  @Test
  void aBuilderReusesItsPreparationOnlyForTheSameModelAndSize() {
    TestGraph g = new TestGraph(17, 7, 2, -1, -1);
    String conv = g.op("Conv", List.of("x", g.random(0.5, 3, 2, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    String act = g.op("Relu", List.of(conv));
    String pooled = g.op("MaxPool", List.of(act), "kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2});
    ModelGraph first = ModelGraph.of(g.model(g.op("GlobalAveragePool", List.of(pooled))), "first");
    TestGraph h = new TestGraph(17, 8, 2, -1, -1);
    String other = h.op("Conv", List.of("x", h.random(0.5, 4, 2, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    ModelGraph second = ModelGraph.of(h.model(h.op("GlobalAveragePool", List.of(h.op("Relu", List.of(other))))),
        "second");
    VjpSpec guided = VjpSpec.DEFAULT.withBackward(VjpSpec.Backward.GUIDED);
    GradientGraphBuilder shared = new GradientGraphBuilder();
    record Build(ModelGraph forward, VjpSpec spec, long height, long width) {}
    List<Build> builds = List.of(new Build(first, VjpSpec.DEFAULT, 8, 8), new Build(first, guided, 8, 8),
        new Build(first, VjpSpec.DEFAULT, 6, 10), new Build(second, VjpSpec.DEFAULT, 6, 10),
        new Build(first, guided, 8, 8), new Build(first, VjpSpec.DEFAULT, 6, 10));
    for (Build b : builds) {
      byte[] reused = shared.build(b.forward(), b.spec(), b.height(), b.width(), "").proto().toByteArray();
      byte[] fresh = new GradientGraphBuilder().build(b.forward(), b.spec(), b.height(), b.width(), "").proto()
          .toByteArray();
      assertArrayEquals(fresh, reused, b.toString());
    }
  }

  /**
   * A model that differs from the builder's last one only in weights takes the last probe where no
   * shape and no constant the probe kept depends on them, and is probed again where one does: every
   * graph is byte for byte a fresh builder's, and the probes are counted.
   */
  @Test
  void aModelWithOtherWeightsTakesTheLastProbeAndDerivedWeightsOnlyWhereTheyStillHold() {
    GradientGraphBuilder shared = new GradientGraphBuilder();
    // derived: how many of the two Convs' adjoint weights the builds so far flipped (the others
    // remembered from a build before, where the Conv's weights are the same).
    record Case(String what, ModelGraph forward, int probes, int derived) {}
    List<Case> cases = List.of(
        new Case("the first model", withWeights(1, 2, 6), 1, 2),
        new Case("the first Conv's weights redrawn (no shape or kept constant depends on them)", withWeights(3, 2, 6), 1, 3),
        new Case("the scaled weights redrawn (a constant the probe kept)", withWeights(3, 4, 6), 2, 4),
        new Case("the Reshape's target changed (a shape)", withWeights(3, 4, 3), 3, 4),
        new Case("the first Conv's weights redrawn again", withWeights(5, 4, 3), 3, 5));
    for (Case c : cases) {
      byte[] reused = shared.build(c.forward(), 4, 4).proto().toByteArray();
      byte[] fresh = new GradientGraphBuilder().build(c.forward(), 4, 4).proto().toByteArray();
      assertArrayEquals(fresh, reused, c.what());
      assertEquals(c.probes(), shared.probes(), c.what());
      assertEquals(c.derived(), shared.derivedConstants(), c.what());
    }
  }

  /**
   * x -> Conv (weights from {@code convSeed}) -> Relu -> Conv (weights from {@code scaledSeed}, times 2
   * in the graph) -> Reshape to [N, groups, -1] -> mean: the same nodes for every argument.
   */
  private static ModelGraph withWeights(long convSeed, long scaledSeed, long groups) {
    TestGraph g = new TestGraph(17, 0, 2, 4, 4);
    String conv = g.op("Conv", List.of("x", g.floats(gaussian(convSeed, 4 * 2 * 3 * 3), 4, 2, 3, 3)),
        "pads", new long[] {1, 1, 1, 1});
    String act = g.op("Relu", List.of(conv));
    String scaled = g.op("Mul", List.of(g.floats(gaussian(scaledSeed, 6 * 4 * 3 * 3), 6, 4, 3, 3),
        g.floats(new float[] {2f})));
    String second = g.op("Conv", List.of(act, scaled), "pads", new long[] {1, 1, 1, 1});
    String grouped = g.op("Reshape", List.of(second, g.ints(0, groups, -1)));
    return ModelGraph.of(g.model(g.op("ReduceMean", List.of(grouped), "axes", new long[] {2}, "keepdims", 0L)),
        "weights");
  }

  private static float[] gaussian(long seed, int n) {
    java.util.Random random = new java.util.Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  @Test
  void internalSeedsAndOutputs() throws Exception {
    TestGraph g = new TestGraph(17, 3, 2, 4, 4);
    String conv = g.op("Conv", List.of("x", g.random(0.5, 3, 2, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    String act = g.op("Relu", List.of(conv));
    String out = g.op("GlobalAveragePool", List.of(act));
    Path model = g.save(dir, "inner", out);
    try (Engine engine = GradientCheck.open(model, dir)) {
      Tensor x = Tensor.zeros(2, 2, 4, 4);
      java.util.Random random = new java.util.Random(5);
      for (int i = 0; i < x.size(); i++) {
        x.data()[i] = (float) random.nextGaussian();
      }
      // Seed at the activation, ask for the gradient at the conv output and the activation values.
      VjpSpec spec = new VjpSpec(List.of(act), List.of(act), List.of(conv, "x"));
      Tensor ct = Tensor.zeros(2, 3, 4, 4);
      java.util.Arrays.fill(ct.data(), 1f);
      Map<String, Tensor> r = engine.vjp(x, spec, Map.of(act, ct));
      Tensor activation = r.get(act);
      Tensor gradConv = r.get(VjpSpec.gradientName(conv));
      assertArrayEquals(new long[] {2, 3, 4, 4}, gradConv.shape());
      for (int i = 0; i < activation.size(); i++) {
        // d sum(relu(c)) / dc = 1 where the activation is positive, else 0.
        assertEquals(activation.data()[i] > 0 ? 1f : 0f, gradConv.data()[i], "element " + i);
      }
      assertArrayEquals(new long[] {2, 2, 4, 4}, r.get(VjpSpec.gradientName("x")).shape());
    }
  }

  @Test
  void unsupportedOperatorNamesTypeNodeAndSupportedList() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 3, 3);
    String out = g.op("ReduceProd", List.of("x"), "axes", new long[] {1}, "keepdims", 0L);
    try (Engine engine = GradientCheck.open(g.save(dir, "reduce_prod", out), dir)) {
      UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class,
          () -> engine.vjp(Tensor.zeros(1, 2, 3, 3), Tensor.zeros(1, 9)));
      String msg = e.getMessage();
      assertTrue(msg.contains("operator ReduceProd (node 'ReduceProd_node_1') has no gradient rule"), msg);
      assertTrue(msg.contains("; supported operators: " + String.join(", ", GradientRules.supportedOperators())), msg);
      assertTrue(msg.contains("supported operators: Abs, "), msg);
      assertTrue(msg.contains("Conv") && msg.contains("MaxPool") && msg.contains("Softmax"), msg);
    }
  }

  /** Floor, Ceil, Round, Sign and Hardmax are steps: zero gradient, as PyTorch's backward gives; 3x passes exactly. */
  @Test
  void stepFunctionsPassNoGradient() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 3, 3);
    String steps = g.op("Add", List.of(g.op("Add", List.of(g.op("Floor", List.of("x")), g.op("Ceil", List.of("x")))),
        g.op("Add", List.of(g.op("Round", List.of("x")), g.op("Add", List.of(g.op("Sign", List.of("x")),
            g.op("Hardmax", List.of("x"))))))));
    String out = g.op("Add", List.of(g.op("Mul", List.of("x", g.floats(new float[] {3f}))), steps));
    try (Engine engine = GradientCheck.open(g.save(dir, "steps", out), dir)) {
      Tensor x = Tensor.zeros(1, 2, 3, 3);
      Tensor ct = Tensor.zeros(1, 18);
      for (int i = 0; i < 18; i++) {
        x.data()[i] = (i - 9) * 0.37f;
        ct.data()[i] = i + 1;
      }
      float[] grad = engine.vjp(x, ct).inputGradient().data();
      for (int i = 0; i < 18; i++) {
        assertEquals(3f * (i + 1), grad[i], "element " + i);
      }
    }
  }

  @Test
  void unsupportedOperatorOffTheGradientPathIsFine() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 3, 3);
    // Erf of a constant never needs a gradient.
    String bias = g.op("Erf", List.of(g.floats(new float[] {0.5f}, 1)));
    String out = g.op("Add", List.of("x", bias));
    try (Engine engine = GradientCheck.open(g.save(dir, "erfconst", out), dir)) {
      Tensor ct = Tensor.zeros(1, 18);
      java.util.Arrays.fill(ct.data(), 2f);
      float[] grad = engine.vjp(Tensor.zeros(1, 2, 3, 3), ct).inputGradient().data();
      for (float v : grad) {
        assertEquals(2f, v);
      }
    }
  }
  @Test
  void anLrnTheGradientPassesThroughIsRecomputedFromItsWindowSumsAndOneOffThePathKeepsItsNode() throws Exception {
    TestGraph g = new TestGraph(17, 3, 3, 6, 6);
    String conv = g.op("Conv", List.of("x", g.random(0.5, 8, 3, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    String act = g.op("Relu", List.of(conv));
    String normalized = g.op("LRN", List.of(act), "size", 5L, "alpha", 0.5f, "beta", 0.75f, "bias", 1f);
    String out = g.op("Conv", List.of(normalized, g.random(0.5, 4, 8, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    Path model = g.save(dir, "lrn", out);
    GradientGraphBuilder builder = new GradientGraphBuilder();
    List<String> ops = builder.build(ModelGraph.read(model), 6, 6).proto().getGraph().getNodeList().stream()
        .map(n -> n.getOpType()).toList();
    assertTrue(!ops.contains("LRN"), ops.toString());
    // Seeded before the LRN, its output needs no gradient: ONNX Runtime's LRN computes it as before.
    List<String> seededBefore = builder.build(ModelGraph.read(model), new VjpSpec(List.of(act), List.of(), List.of()),
        6, 6, "").proto().getGraph().getNodeList().stream().map(n -> n.getOpType()).toList();
    assertEquals(1, seededBefore.stream().filter("LRN"::equals).count(), seededBefore.toString());

    try (Engine engine = GradientCheck.open(model, dir)) {
      Tensor x = Tensor.zeros(2, 3, 6, 6);
      java.util.Random random = new java.util.Random(11);
      for (int i = 0; i < x.size(); i++) {
        x.data()[i] = (float) random.nextGaussian();
      }
      // The gradient graph's logits come through the recomputed LRN, the forward pass's through ONNX
      // Runtime's kernel: the same to float32 rounding.
      Tensor forward = engine.scores(x);
      Tensor viaGradientGraph = engine.vjp(x, Tensor.zeros(forward.shape())).logits();
      double largest = 0;
      for (float v : forward.data()) {
        largest = Math.max(largest, Math.abs(v));
      }
      for (int i = 0; i < forward.size(); i++) {
        assertEquals(forward.data()[i], viaGradientGraph.data()[i], 1e-6 * largest, "logit " + i);
      }
    }
  }
}

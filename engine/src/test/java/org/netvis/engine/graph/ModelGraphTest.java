package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.runtime.Device;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.TestGraph;

/** How netvis reads a classifier file: input layout, and scores behind a final Softmax. */
class ModelGraphTest {
  @TempDir Path dir;

  @Test
  void channelsLastConversionsAreInverseAndMoveTheRightElements() {
    Tensor nhwc = Tensor.zeros(2, 3, 4, 3);
    for (int i = 0; i < nhwc.size(); i++) {
      nhwc.data()[i] = i;
    }
    Tensor nchw = ImageLayout.NHWC.toNchw(nhwc);
    assertArrayEquals(new long[] {2, 3, 3, 4}, nchw.shape());
    // nchw[n, c, h, w] = nhwc[n, h, w, c]
    int n = 1, c = 2, h = 1, w = 3;
    assertEquals(nhwc.data()[((n * 3 + h) * 4 + w) * 3 + c], nchw.data()[((n * 3 + c) * 3 + h) * 4 + w]);
    assertArrayEquals(nhwc.data(), ImageLayout.NHWC.fromNchw(nchw).data());
    assertArrayEquals(nhwc.shape(), ImageLayout.NHWC.fromNchw(nchw).shape());
  }

  /** The model with every input axis named, as Hugging Face's exports write pixel_values. */
  private static ModelProto everyInputAxisSymbolic(ModelProto model) {
    ModelProto.Builder b = model.toBuilder();
    ai.onnx.proto.OnnxMl.TensorShapeProto.Builder shape = b.getGraphBuilder().getInputBuilder(0).getTypeBuilder()
        .getTensorTypeBuilder().getShapeBuilder();
    String[] names = {"batch_size", "num_channels", "height", "width"};
    for (int i = 0; i < 4; i++) {
      shape.setDim(i, ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(names[i]));
    }
    return b.build();
  }

  @Test
  void aSymbolicChannelCountIsTakenFromTheConvThatReadsTheInput() throws Exception {
    TestGraph g = new TestGraph(17, 5, 3, 6, 6);
    String out = g.op("GlobalAveragePool", List.of(g.op("Relu", List.of(g.op("Conv", List.of("x",
        g.random(0.5, 4, 3, 3, 3)), "pads", new long[] {1, 1, 1, 1})))));
    ModelProto fixed = g.model(out, 4);
    ModelProto symbolic = everyInputAxisSymbolic(fixed);
    ModelGraph graph = ModelGraph.of(symbolic, "hf.onnx");
    assertEquals(ImageLayout.NCHW, graph.layout());
    assertArrayEquals(new long[] {-1, 3, -1, -1}, graph.inputShape());
    assertEquals("the file leaves the channel count of input 'x' symbolic; netvis takes 3 from Conv node"
        + " 'Conv_node_2', which reads it", graph.note("input"));
    assertNull(ModelGraph.of(fixed, "fixed.onnx").note("input"));

    Path fixedFile = dir.resolve("fixed.onnx");
    Files.write(fixedFile, fixed.toByteArray());
    Path symbolicFile = dir.resolve("hf.onnx");
    Files.write(symbolicFile, symbolic.toByteArray());
    Tensor x = Tensor.zeros(2, 3, 6, 6);
    Tensor ct = Tensor.zeros(2, 4);
    for (int i = 0; i < x.size(); i++) {
      x.data()[i] = (float) Math.cos(i);
    }
    for (int i = 0; i < ct.size(); i++) {
      ct.data()[i] = i - 3.5f;
    }
    try (Engine a = GradientCheck.open(fixedFile, dir); Engine b = GradientCheck.open(symbolicFile, dir)) {
      assertArrayEquals(a.vjp(x, ct).inputGradient().data(), b.vjp(x, ct).inputGradient().data(), 1e-6f);
    }

    TestGraph noConv = new TestGraph(17, 5, 3, 6, 6);
    GraphBuildException e = org.junit.jupiter.api.Assertions.assertThrows(GraphBuildException.class,
        () -> ModelGraph.of(everyInputAxisSymbolic(noConv.model(noConv.op("Relu", List.of("x")))), "plain.onnx"));
    assertTrue(e.getMessage().contains("input 'x' has shape [N, N, N, N], which is neither NCHW"), e.getMessage());
  }

  /** Zoo exports that end in Softmax, models trained with NLLLoss in LogSoftmax: netvis differentiates the scores that enter it. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"Softmax", "LogSoftmax"})
  void aFinalSoftmaxIsSetAsideAndItsScoresBecomeTheOutput(String op) throws Exception {
    TestGraph g = new TestGraph(17, 3, 3, 4, 4);
    String scores = g.op("Conv", List.of("x", g.random(0.5, 5, 3, 4, 4)));
    ModelProto plainModel = g.model(scores, 5);
    // The same graph with its "logits" output produced by a final Softmax, as Caffe-era zoo files end.
    ModelProto.Builder b = plainModel.toBuilder();
    int last = b.getGraph().getNodeCount() - 1;
    b.getGraphBuilder().setNode(last, b.getGraph().getNode(last).toBuilder().setOutput(0, "scores_flat"));
    b.getGraphBuilder().addNode(NodeProto.newBuilder().setOpType(op).setName("prob").addInput("scores_flat")
        .addOutput("logits").addAttribute(Attributes.of("axis", 1L)));
    ModelProto withSoftmax = b.build();
    ModelGraph graph = ModelGraph.of(withSoftmax, "zoo.onnx");
    assertEquals("scores_flat", graph.outputName());
    assertEquals("the file's output 'logits' holds " + (op.equals("LogSoftmax") ? "log-" : "") + "probabilities;"
        + " netvis uses the scores 'scores_flat' that enter its final " + op + " node 'prob'", graph.note("output"));
    assertNull(ModelGraph.of(plainModel, "plain.onnx").note("output"));

    Path zoo = dir.resolve("zoo_" + op + ".onnx");
    Files.write(zoo, withSoftmax.toByteArray());
    Path plain = dir.resolve("plain.onnx");
    Files.write(plain, plainModel.toByteArray());
    Tensor x = Tensor.zeros(2, 3, 4, 4);
    for (int i = 0; i < x.size(); i++) {
      x.data()[i] = (float) Math.sin(i);
    }
    try (Engine zooEngine = GradientCheck.open(zoo, dir); Engine plainEngine = GradientCheck.open(plain, dir)) {
      assertArrayEquals(plainEngine.scores(x).data(), zooEngine.scores(x).data(), 1e-6f);
    }
  }

  /** A model that also returns its features: the note names every output and the one explained. */
  @Test
  void aModelWithSeveralOutputsSaysWhichOneItExplains() {
    TestGraph g = new TestGraph(17, 3, 3, 4, 4);
    String features = g.op("GlobalAveragePool", List.of(g.op("Conv", List.of("x", g.random(0.5, 6, 3, 3, 3)))));
    ModelProto single = g.model(g.op("Flatten", List.of(g.op("Conv", List.of(features, g.random(0.5, 5, 6, 1, 1))))), 5);
    assertNull(ModelGraph.of(single, "single.onnx").note("outputs"));
    ModelProto both = single.toBuilder().setGraph(single.getGraph().toBuilder()
        .addOutput(TestGraph.value(features, -1, 6, 1, 1))).build();
    ModelGraph graph = ModelGraph.of(both, "both.onnx");
    String logits = single.getGraph().getOutput(0).getName();
    assertEquals(logits, graph.outputName());
    assertEquals("the file has 2 outputs ('" + logits + "' float [N, 5], '" + features + "' float [N, 6, 1, 1]);"
        + " netvis explains the first, '" + logits + "'", graph.note("outputs"));
  }

  /**
   * Two heads on one trunk, the second named by the model's descriptor: netvis explains that head, with
   * the scores and input gradient of the same network built with that head alone.
   */
  @Test
  void anOutputNamedByTheDescriptorIsTheOneExplained() throws Exception {
    TestGraph g = new TestGraph(17, 5, 3, 6, 6);
    String pooled = g.op("Flatten", List.of(g.op("GlobalAveragePool", List.of(g.op("Relu", List.of(
        g.op("Conv", List.of("x", g.random(0.5, 8, 3, 3, 3)), "pads", new long[] {1, 1, 1, 1})))))));
    String headA = g.op("Gemm", List.of(pooled, g.random(0.5, 5, 8)), "transB", 1L);
    String headB = g.op("Gemm", List.of(pooled, g.random(0.5, 7, 8)), "transB", 1L);
    ModelProto headBAlone = g.model(headB, 7);
    ModelProto both = headBAlone.toBuilder().setGraph(headBAlone.getGraph().toBuilder().clearOutput()
        .addOutput(TestGraph.value(headA, -1, 5)).addOutput(TestGraph.value(headB, -1, 7))).build();
    Path file = dir.resolve("two_heads.onnx");
    Files.write(file, both.toByteArray());
    Path alone = dir.resolve("head_b.onnx");
    Files.write(alone, headBAlone.toByteArray());

    ModelGraph first = ModelGraph.read(file);
    assertEquals(headA, first.outputName());
    ModelGraph named = ModelGraph.parse(Files.readAllBytes(file), file, null, headB);
    assertEquals(headB, named.outputName());
    assertEquals(7, named.classes());
    assertEquals("the file has 2 outputs ('" + headA + "' float [N, 5], '" + headB + "' float [N, 7]); netvis explains '"
        + headB + "', as the model's descriptor says", named.note("outputs"));
    String unknown = org.junit.jupiter.api.Assertions.assertThrows(GraphBuildException.class,
        () -> ModelGraph.parse(Files.readAllBytes(file), file, null, "probs")).getMessage();
    assertEquals(file + ": output 'probs', which the model's descriptor names, is not an output of the graph; its"
        + " outputs are [" + headA + ", " + headB + "]", unknown);

    // Through a descriptor file, as a user declares it.
    Files.writeString(dir.resolve("two_heads.yaml"), "id: two_heads\nfile: two_heads.onnx\noutput: " + headB + "\n"
        + "preprocessing: {resize: 6, crop: 6, color: RGB, scale: 255.0, mean: [0, 0, 0], std: [1, 1, 1]}\n");
    ModelRegistry registry = new ModelRegistry(List.of(dir), dir.resolve("cache"),
        new org.netvis.engine.download.Downloader(false));
    Tensor x = RandomTensors.gaussian(new java.util.Random(9), 1, 2, 3, 6, 6);
    Tensor ct = RandomTensors.gaussian(new java.util.Random(10), 1, 2, 7);
    try (Engine engine = Engine.open(registry.resolve("two_heads"), EngineOptions.defaults().withDevice(Device.CPU)
        .withThreads(1).withCompanionCache(dir.resolve("graphs")));
        Engine expected = GradientCheck.open(alone, dir.resolve("graphs"))) {
      VjpResult want = expected.vjp(x, ct);
      VjpResult got = engine.vjp(x, ct);
      assertArrayEquals(want.logits().data(), got.logits().data());
      assertArrayEquals(want.inputGradient().data(), got.inputGradient().data());
    }
  }
}

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
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
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
    Tensor nchw = InputLayout.NHWC.toNchw(nhwc);
    assertArrayEquals(new long[] {2, 3, 3, 4}, nchw.shape());
    // nchw[n, c, h, w] = nhwc[n, h, w, c]
    int n = 1, c = 2, h = 1, w = 3;
    assertEquals(nhwc.data()[((n * 3 + h) * 4 + w) * 3 + c], nchw.data()[((n * 3 + c) * 3 + h) * 4 + w]);
    assertArrayEquals(nhwc.data(), InputLayout.NHWC.fromNchw(nchw).data());
    assertArrayEquals(nhwc.shape(), InputLayout.NHWC.fromNchw(nchw).shape());
  }

  /** Zoo exports that end in Softmax: netvis differentiates the scores that enter it. */
  @Test
  void aFinalSoftmaxIsSetAsideAndItsScoresBecomeTheOutput() throws Exception {
    TestGraph g = new TestGraph(17, 3, 3, 4, 4);
    String scores = g.op("Conv", List.of("x", g.random(0.5, 5, 3, 4, 4)));
    ModelProto plainModel = g.model(scores, 5);
    // The same graph with its "logits" output produced by a final Softmax, as Caffe-era zoo files end.
    ModelProto.Builder b = plainModel.toBuilder();
    int last = b.getGraph().getNodeCount() - 1;
    b.getGraphBuilder().setNode(last, b.getGraph().getNode(last).toBuilder().setOutput(0, "scores_flat"));
    b.getGraphBuilder().addNode(NodeProto.newBuilder().setOpType("Softmax").setName("prob").addInput("scores_flat")
        .addOutput("logits").addAttribute(Attributes.of("axis", 1L)));
    ModelProto withSoftmax = b.build();
    ModelGraph graph = ModelGraph.of(withSoftmax, "zoo.onnx");
    assertEquals("scores_flat", graph.outputName());
    assertTrue(graph.outputNote().contains("holds probabilities"), graph.outputNote());
    assertNull(ModelGraph.of(plainModel, "plain.onnx").outputNote());

    Path zoo = dir.resolve("zoo.onnx");
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
}

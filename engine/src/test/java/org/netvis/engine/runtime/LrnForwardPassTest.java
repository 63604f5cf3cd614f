package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.SharedData;
import org.netvis.engine.testing.TestGraph;

/**
 * The forward pass runs LRN nodes as their window sums (ONNX Runtime's LRN kernel is slow): the same
 * logits, to float32 rounding, as ONNX Runtime gives the model as written.
 */
class LrnForwardPassTest {
  @TempDir Path dir;

  @Test
  void theZooStyleLrnNetGivesTheLogitsOfTheModelAsWritten() throws Exception {
    // Opset 9, two LRNs (after a pool and after a Relu), as the model zoo's AlexNet and GoogLeNet.
    Path model = SharedData.fixture("lrn_zoo_style-random");
    try (Engine engine = GradientCheck.open(model, dir)) {
      assertEquals("LRN recomputed from its window sums (2 nodes)", engine.forwardPass());
      assertSameLogits(engine, model, random(4, 3, 224, 224));
    }
  }

  @Test
  void anLrnOverAnImageTensorIsRecomputedAndAModelWithoutOneRunsAsWritten() throws Exception {
    TestGraph g = new TestGraph(17, 5, 3, 6, 6);
    String conv = g.op("Conv", List.of("x", g.random(0.5, 8, 3, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    String normalized = g.op("LRN", List.of(g.op("Relu", List.of(conv))), "size", 3L, "alpha", 0.5f, "beta", 0.6f,
        "bias", 2f);
    Path model = g.save(dir, "lrn", g.op("Conv", List.of(normalized, g.random(0.5, 4, 8, 3, 3))));
    try (Engine engine = GradientCheck.open(model, dir)) {
      assertEquals("LRN recomputed from its window sums (1 nodes)", engine.forwardPass());
      assertSameLogits(engine, model, random(3, 3, 6, 6));
    }
    TestGraph plain = new TestGraph(17, 5, 3, 6, 6);
    Path noLrn = plain.save(dir, "plain", plain.op("Relu", List.of("x")));
    try (Engine engine = GradientCheck.open(noLrn, dir)) {
      assertEquals("as written", engine.forwardPass());
    }
  }

  @Test
  void activationsOfAnLrnAreTheValuesTheGradientGraphComputes() throws Exception {
    // DeepDream reads a layer's activations, then seeds the gradient graph there: one LRN for both.
    TestGraph g = new TestGraph(17, 7, 3, 6, 6);
    String conv = g.op("Conv", List.of("x", g.random(0.5, 8, 3, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    String normalized = g.op("LRN", List.of(g.op("Relu", List.of(conv))), "size", 5L, "alpha", 0.5f);
    Path model = g.save(dir, "lrn_layer", g.op("Conv", List.of(normalized, g.random(0.5, 4, 8, 3, 3))));
    try (Engine engine = GradientCheck.open(model, dir)) {
      Tensor x = random(2, 3, 6, 6);
      float[] activation = engine.activations(x, List.of(normalized)).get(normalized).data();
      Tensor ct = Tensor.zeros(2, 8, 6, 6);
      java.util.Arrays.fill(ct.data(), 1f);
      float[] inGradientGraph = engine.vjp(x, new VjpSpec(List.of(normalized), List.of(normalized), List.of("x")),
          Map.of(normalized, ct)).get(normalized).data();
      // The same ops in the same order: the same floats (ONNX Runtime's LRN kernel differs by 3e-7 here).
      assertArrayEquals(activation, inGradientGraph);
    }
  }

  private static Tensor random(long... shape) {
    Tensor x = Tensor.zeros(shape);
    Random random = new Random(3);
    for (int i = 0; i < x.size(); i++) {
      x.data()[i] = (float) random.nextGaussian();
    }
    return x;
  }

  /** The engine's logits against a session of ONNX Runtime on the file itself, LRN kernel and all. */
  private static void assertSameLogits(Engine engine, Path model, Tensor x) throws Exception {
    float[] viaEngine = engine.scores(x).data();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    ModelGraph graph = ModelGraph.read(model);
    try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data()), x.shape());
        OrtSession.Result r = session.run(Map.of(graph.inputName(), in))) {
      float[][] asWritten = flatten(r.get(0).getValue());
      double largest = 0;
      int k = 0;
      for (float[] row : asWritten) {
        for (float v : row) {
          largest = Math.max(largest, Math.abs(v));
        }
      }
      double worst = 0;
      for (float[] row : asWritten) {
        for (float v : row) {
          worst = Math.max(worst, Math.abs(v - viaEngine[k++]));
        }
      }
      assertEquals(viaEngine.length, k, "logit count");
      assertTrue(worst <= 1e-6 * largest, "largest difference " + worst + " against largest logit " + largest);
    }
  }

  private static float[][] flatten(Object value) {
    if (value instanceof float[][] rows) {
      return rows;
    }
    throw new IllegalArgumentException("expected [N, K] logits, got " + value.getClass());
  }
}

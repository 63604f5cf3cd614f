package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.netvis.engine.graph.DataFiles;
import org.netvis.engine.testing.TestGraph;

/**
 * A graph that ONNX Runtime's extended optimizations break opens with its basic ones, and says so;
 * a graph that no level opens fails with the first error.
 */
class OptimizationFallbackTest {
  /**
   * A residual block in the QDQ format with one-element 1-D scales: ONNX Runtime 1.29, with its integer
   * kernels on, fuses its Add into a QLinearAdd that refuses them (netvis' ModelGraph reads them as scalars; this graph is given
   * to ONNX Runtime as written).
   */
  private static byte[] qdqResidual() {
    TestGraph g = new TestGraph(13, 4, 2, 5, 5);
    String scale = g.floats(new float[] {0.05f}, 1);
    String zero = g.integers(TensorProto.DataType.UINT8_VALUE, new long[] {128}, 1);
    String in = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of("x", scale, zero)), scale, zero));
    String conv = g.op("Conv", List.of(in, g.random(0.4, 2, 2, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    String convQ = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of(conv, scale, zero)), scale, zero));
    String sum = g.op("Add", List.of(convQ, in));
    return g.model(g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of(sum, scale, zero)), scale, zero)))
        .toByteArray();
  }

  private static float[] run(OrtSession session, float[] x) throws OrtException {
    try (OnnxTensor in = OnnxTensor.createTensor(OrtEnvironments.get(), FloatBuffer.wrap(x), new long[] {1, 2, 5, 5});
        OrtSession.Result r = session.run(Map.of("x", in))) {
      return ((float[][]) r.get(0).getValue())[0];
    }
  }

  @Test
  void aGraphTheExtendedOptimizationsBreakRunsWithTheBasicOnes() throws Exception {
    byte[] model = qdqResidual();
    OrtSessions sessions = new OrtSessions(EngineOptions.defaults().withDevice(Device.CPU).withThreads(1)
        .withIntegerKernels(true), new OrtSessions.Clock(), DataFiles.none("test"));
    float[] x = new float[50];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(i);
    }
    float[] expected;
    try (OrtSession.SessionOptions basic = new OrtSession.SessionOptions()) {
      basic.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
      try (OrtSession reference = OrtEnvironments.get().createSession(model, basic)) {
        expected = run(reference, x);
      }
    }
    try (OrtSession session = sessions.open(model).session()) {
      assertArrayEquals(expected, run(session, x));
    }
    Set<String> why = sessions.optimizationFallbacks();
    assertEquals(1, why.size(), why.toString());
    assertTrue(why.iterator().next().contains("QLinearAdd"), why.toString());

    OrtSessions clean = new OrtSessions(EngineOptions.defaults().withDevice(Device.CPU).withThreads(1),
        new OrtSessions.Clock(), DataFiles.none("test"));
    TestGraph plain = new TestGraph(17, 4, 2, 5, 5);
    clean.open(plain.model(plain.op("Relu", List.of("x"))).toByteArray()).session().close();
    assertTrue(clean.optimizationFallbacks().isEmpty());
  }

  @Test
  void aGraphNoLevelOpensFailsWithTheFirstError() {
    TestGraph g = new TestGraph(17, 4, 2, 5, 5);
    // An operator ONNX does not define: refused at every level.
    byte[] broken = g.model(g.op("NoSuchOperator", List.of("x"))).toByteArray();
    OrtSessions sessions = new OrtSessions(EngineOptions.defaults().withDevice(Device.CPU).withThreads(1),
        new OrtSessions.Clock(), DataFiles.none("test"));
    OrtException e = assertThrows(OrtException.class, () -> sessions.open(broken));
    assertTrue(e.getMessage().contains("NoSuchOperator"), e.getMessage());
    assertTrue(sessions.optimizationFallbacks().isEmpty());
  }
}

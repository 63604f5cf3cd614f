package org.netvis.bench;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Graphs of a few nodes built in a benchmark, and ONNX Runtime's kernel times for one. */
final class SmallGraphs {
  private SmallGraphs() {}

  static NodeProto node(String op, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
    return NodeProto.newBuilder().setOpType(op).setName(outputs.get(0)).addAllInput(inputs).addAllOutput(outputs)
        .addAllAttribute(new ArrayList<>(List.of(attributes))).build();
  }

  static ValueInfoProto value(String name, TensorProto.DataType type, long... shape) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : shape) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(s))).build();
  }

  /**
   * Session options as the engine's: idle intra-op threads sleep, and one intra-op thread per physical
   * core, which ONNX Runtime's own default is not everywhere (one thread on the 2-core Zen 5 machine:
   * bench/README.md, forty-fifth session).
   */
  static OrtSession.SessionOptions engineLikeOptions() throws ai.onnxruntime.OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    so.addConfigEntry("session.intra_op.allow_spinning", System.getProperty("spinning", "0"));
    so.setIntraOpNumThreads(org.netvis.engine.runtime.EngineOptions.defaults().resolvedThreads());
    return so;
  }

  /** The serialized model of a graph, opset 17. */
  static byte[] model(GraphProto.Builder graph) {
    return ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build().toByteArray();
  }

  /**
   * Kernel time per run from ONNX Runtime's profiler, as the engine runs its sessions (intra-op threads
   * sleeping between sections), fed the graph's inputs from {@code inputs}.
   */
  static ProfileVjp.Profile profile(OrtEnvironment env, byte[] graph, Map<String, OnnxTensor> inputs) throws Exception {
    Path dir = Files.createTempDirectory("netvis-small-graph");
    try (OrtSession.SessionOptions so = engineLikeOptions()) {
      so.enableProfiling(dir.resolve("session").toString());
      try (OrtSession s = env.createSession(graph, so)) {
        Map<String, OnnxTensor> feed = new HashMap<>();
        s.getInputNames().forEach(name -> feed.put(name, inputs.get(name)));
        for (int i = 0; i < ProfileVjp.WARMUP + ProfileVjp.RUNS; i++) {
          try (OrtSession.Result r = s.run(feed)) {
            r.size();
          }
        }
        return ProfileVjp.parse(Path.of(s.endProfiling()));
      }
    }
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.netvis.engine.tensor.Tensor;

/**
 * Learns the shape and element type of every intermediate tensor by running the forward graph once
 * with all of them exposed as outputs. Cheaper and more complete than reimplementing ONNX shape
 * inference, and it exercises the exact graph the gradient graph will extend.
 */
final class ShapeProbe {
  record Probed(long[] shape, boolean isFloat) {}

  private ShapeProbe() {}

  static Map<String, Probed> run(ModelProto model, String inputName, long[] inputShape) throws OrtException {
    GraphProto graph = model.getGraph();
    Set<String> outputs = new HashSet<>();
    graph.getOutputList().forEach(v -> outputs.add(v.getName()));
    GraphProto.Builder g = graph.toBuilder();
    for (NodeProto node : graph.getNodeList()) {
      for (String out : node.getOutputList()) {
        if (!out.isEmpty() && outputs.add(out)) {
          g.addOutput(ValueInfoProto.newBuilder().setName(out));
        }
      }
    }
    byte[] bytes = model.toBuilder().setGraph(g).build().toByteArray();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, Probed> shapes = new HashMap<>();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      // Keep every intermediate as written: optimizations would fuse away the names we ask for.
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(bytes, options)) {
        int n = (int) Tensor.numel(inputShape);
        float[] values = new float[n];
        Random random = new Random(12345);
        for (int i = 0; i < n; i++) {
          values[i] = (float) random.nextGaussian();
        }
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(values), inputShape);
            OrtSession.Result result = session.run(Map.of(inputName, input))) {
          for (Map.Entry<String, OnnxValue> entry : result) {
            if (entry.getValue() instanceof OnnxTensor t) {
              TensorInfo info = t.getInfo();
              shapes.put(entry.getKey(), new Probed(info.getShape(), info.type == OnnxJavaType.FLOAT));
            }
          }
        }
      }
    }
    return shapes;
  }

}

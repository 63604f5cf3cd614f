package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.netvis.engine.tensor.Tensor;

/**
 * Learns the shape and element type of every intermediate tensor by running the forward graph once
 * with all of them exposed as outputs. Cheaper and more complete than reimplementing ONNX shape
 * inference, and it exercises the exact graph the gradient graph will extend. For tensors that do
 * not depend on the image (shape arithmetic, masks, shared weights) it also keeps the value, so the
 * builder can treat them as the constants they are once the input size is fixed.
 */
final class ShapeProbe {
  /** Larger input-independent tensors are not kept: no gradient rule needs them as constants. */
  private static final long MAX_KEPT_VALUES = 1 << 22;

  /**
   * @param shape the tensor's shape; -1 where it depends on the batch size
   * @param batchAxes where the dimension is the batch size itself (1 at batch 1, 2 at batch 2), not
   *     a multiple of it; null when no axis is
   * @param value the tensor's value where it was asked for and small enough; else null
   */
  record Probed(long[] shape, OnnxJavaType type, TensorProto value, boolean[] batchAxes) {
    Probed(long[] shape, OnnxJavaType type, TensorProto value) {
      this(shape, type, value, null);
    }

    /** A float32 tensor: the only kind gradients flow through. */
    boolean isFloat() {
      return type == OnnxJavaType.FLOAT;
    }

    /** A floating-point tensor of another width (double), which a gradient cannot enter. */
    boolean isOtherFloatingPoint() {
      return type == OnnxJavaType.DOUBLE || type == OnnxJavaType.FLOAT16 || type == OnnxJavaType.BFLOAT16;
    }

    boolean isBatchAxis(int axis) {
      return batchAxes != null && batchAxes[axis];
    }
  }

  private ShapeProbe() {}

  /** @param files where the model's tensors kept in data files are */
  static Map<String, Probed> run(ModelProto model, DataFiles files, String inputName, long[] inputShape,
      Set<String> keepValues) throws OrtException {
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
    byte[] bytes = files.serialize(model.toBuilder().setGraph(g).build());
    OrtEnvironment env = org.netvis.engine.runtime.OrtEnvironments.get();
    Map<String, Probed> shapes = new HashMap<>();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      // Keep every intermediate as written: optimizations would fuse away the names we ask for.
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      options.setIntraOpNumThreads(1);
      files.configure(options);
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
              TensorProto value = keepValues.contains(entry.getKey()) && info.getNumElements() <= MAX_KEPT_VALUES
                  ? valueOf(entry.getKey(), t) : null;
              shapes.put(entry.getKey(), new Probed(info.getShape(), info.type, value));
            }
          }
        }
      }
    }
    return shapes;
  }

  /** Integer and boolean tensors become int64 constants, floating ones float32; others are not kept. */
  private static TensorProto valueOf(String name, OnnxTensor t) {
    TensorInfo info = t.getInfo();
    long[] shape = info.getShape();
    int n = (int) info.getNumElements();
    switch (info.type) {
      case FLOAT: {
        float[] v = new float[n];
        t.getFloatBuffer().get(v);
        return TensorProtos.floats(name, shape, v);
      }
      case DOUBLE: {
        double[] d = new double[n];
        t.getDoubleBuffer().get(d);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = (float) d[i];
        }
        return TensorProtos.floats(name, shape, v);
      }
      case INT64: {
        long[] v = new long[n];
        t.getLongBuffer().get(v);
        return TensorProtos.longs(name, shape, v);
      }
      case INT32: {
        int[] i32 = new int[n];
        t.getIntBuffer().get(i32);
        return TensorProtos.longs(name, shape, Arrays.stream(i32).asLongStream().toArray());
      }
      case BOOL, INT8, UINT8: {
        ByteBuffer b = t.getByteBuffer();
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = info.type == OnnxJavaType.INT8 ? b.get(i) : b.get(i) & 0xff;
        }
        return TensorProtos.longs(name, shape, v);
      }
      default:
        return null;
    }
  }
}

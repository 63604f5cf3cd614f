package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.testing.SharedData;
import org.netvis.engine.testing.TestGraph;

/**
 * The shapes the builder writes into a gradient graph (value_info, batch axis named N): each one is
 * the shape the tensor has at a batch the probes never ran, and with them ONNX Runtime keeps as
 * many tensors in its blocked NCHWc layout with the batch symbolic as with the batch fixed.
 */
class ShapeAnnotationsTest {
  private static final int BATCH = 3;

  @TempDir Path dir;

  @Test
  void everyAnnotatedShapeIsTheShapeTheTensorHasAtAnUnprobedBatch() throws Exception {
    // MobileNetV2: strided depthwise adjoints through Resize; SqueezeNet: max-pool scatters over
    // [N*C, H*W] planes and Concat; ResNet-18: residual sums and a stride-2 stem.
    for (Path model : List.of(SharedData.fixture("mobilenet_v2-random"), SharedData.squeezenet(),
        SharedData.fixture("resnet18-random"))) {
      List<ValueInfoProto> annotated = checkAtUnprobedBatch(model, 224);
      // The summed gradients are annotated too, not only the forward tensors.
      long gradients = annotated.stream().filter(v -> v.getName().startsWith("netvis/")).count();
      assertTrue(gradients > 20, model.getFileName() + ": " + gradients + " gradient tensors annotated");
    }
  }

  /**
   * The max-pool gradient's zeros and the scatter into them are declared [N*C, H*W]: with the row
   * count unknown ONNX Runtime cannot tell the scatter's output as large as its input and copies the
   * zeros into a new buffer first instead of scattering in place.
   */
  @Test
  void theMaxPoolScatterAndTheZerosItAddsIntoCarryTheirPlanesNamed() throws Exception {
    TestGraph t = new TestGraph(17, 3, 3, 9, 9);
    String pooled = t.op("MaxPool", List.of(t.op("Conv", List.of("x", t.random(0.5, 5, 3, 1, 1)))), "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2});
    GradientGraph g = new GradientGraphBuilder().build(ModelGraph.read(t.save(dir, "pool", pooled)), 9, 9);
    NodeProto scatter = g.proto().getGraph().getNodeList().stream()
        .filter(n -> n.getOpType().equals("ScatterElements")).findFirst().orElseThrow();
    for (String tensor : List.of(scatter.getInput(0), scatter.getOutput(0))) {
      TensorShapeProto shape = g.proto().getGraph().getValueInfoList().stream()
          .filter(v -> v.getName().equals(tensor)).findFirst().orElseThrow(() -> new AssertionError(tensor))
          .getType().getTensorType().getShape();
      assertEquals(GradientGraph.BATCH_DIMENSION + "*5", shape.getDim(0).getDimParam(), tensor);
      assertEquals(81, shape.getDim(1).getDimValue(), tensor);
    }
    checkAtUnprobedBatch(t.save(dir, "pool", pooled), 9);
  }

  @Test
  void anAxisThatIsAMultipleOfTheBatchStaysUnnamed() throws Exception {
    // The batch folded into the rows: [N, 2, 4, 4] -> [2N, 16] -> [N, 32].
    TestGraph t = new TestGraph(17, 3, 2, 4, 4);
    String rows = t.op("Relu", List.of(t.op("Reshape", List.of("x", t.ints(-1, 16)))));
    Path model = t.save(dir, "folded", t.op("Reshape", List.of(rows, t.ints(-1, 32))));
    List<ValueInfoProto> annotated = checkAtUnprobedBatch(model, 4);
    ValueInfoProto folded = annotated.stream().filter(v -> v.getName().equals(rows)).findFirst().orElseThrow();
    TensorShapeProto.Dimension first = folded.getType().getTensorType().getShape().getDim(0);
    assertTrue(!first.hasDimParam() && !first.hasDimValue(), "2N annotated as " + first);
  }

  /** Derives the model's graph and checks each annotated shape against a run at BATCH; the annotations. */
  private static List<ValueInfoProto> checkAtUnprobedBatch(Path model, long size) throws Exception {
    GradientGraph g = new GradientGraphBuilder().build(ModelGraph.read(model), size, size);
    List<ValueInfoProto> annotated = g.proto().getGraph().getValueInfoList();
    Map<String, long[]> actual = runWithOutputs(g, annotated);
    int named = 0;
    for (ValueInfoProto v : annotated) {
      List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
      long[] shape = actual.get(v.getName());
      assertEquals(dims.size(), shape.length, model.getFileName() + ": rank of " + v.getName());
      for (int i = 0; i < shape.length; i++) {
        TensorShapeProto.Dimension d = dims.get(i);
        if (d.hasDimValue()) {
          assertEquals(d.getDimValue(), shape[i], model.getFileName() + ": axis " + i + " of " + v.getName());
        } else if (d.hasDimParam()) {
          // N, or N*k where a rule declared k times the batch (the max-pool gradient's planes).
          String[] parts = d.getDimParam().split("\\*");
          assertEquals(GradientGraph.BATCH_DIMENSION, parts[0], v.getName() + ": " + d.getDimParam());
          long times = parts.length == 1 ? 1 : Long.parseLong(parts[1]);
          assertEquals(times * BATCH, shape[i], model.getFileName() + ": named batch axis " + i + " of " + v.getName());
          named++;
        }
      }
    }
    assertTrue(named >= annotated.size() / 2, model.getFileName() + ": " + named + " batch axes named in "
        + annotated.size() + " annotations");
    return annotated;
  }

  @Test
  void onnxRuntimeKeepsTheBlockedLayoutWithTheBatchSymbolicAsWithItFixed() throws Exception {
    GradientGraph g = new GradientGraphBuilder().build(ModelGraph.read(SharedData.fixture("mobilenet_v2-random")),
        224, 224);
    byte[] graph = g.proto().toByteArray();
    int symbolic = reorders(graph, false);
    int fixed = reorders(graph, true);
    // Without the annotations: 139 reorders with the batch symbolic, 13 with it fixed.
    assertEquals(fixed, symbolic, "layout reorders with the batch symbolic (fixed: " + fixed + ")");
    assertTrue(fixed < 20, fixed + " reorders");
  }

  /** Runs the graph at BATCH with each annotated tensor also returned; their shapes by name. */
  private static Map<String, long[]> runWithOutputs(GradientGraph g, List<ValueInfoProto> tensors) throws Exception {
    ModelProto.Builder m = g.proto().toBuilder();
    tensors.forEach(v -> m.getGraphBuilder().addOutput(ValueInfoProto.newBuilder().setName(v.getName())));
    OrtEnvironment env = org.netvis.engine.runtime.OrtEnvironments.get();
    Map<String, long[]> shapes = new HashMap<>();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession s = env.createSession(m.build().toByteArray(), so)) {
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
          for (String name : s.getInputNames()) {
            long[] shape = ((ai.onnxruntime.TensorInfo) s.getInputInfo().get(name).getInfo()).getShape();
            shape[0] = BATCH;
            in.put(name, OnnxTensor.createTensor(env, FloatBuffer.wrap(gaussian(shape)), shape));
          }
          try (OrtSession.Result r = s.run(in)) {
            for (Map.Entry<String, OnnxValue> e : r) {
              shapes.put(e.getKey(), ((OnnxTensor) e.getValue()).getInfo().getShape());
            }
          }
        } finally {
          in.values().forEach(OnnxTensor::close);
        }
      }
    }
    return shapes;
  }

  private static float[] gaussian(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    Random random = new Random(7);
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  /** ReorderInput and ReorderOutput nodes in ONNX Runtime's optimized graph. */
  private int reorders(byte[] graph, boolean fixedBatch) throws Exception {
    Path optimized = dir.resolve(fixedBatch ? "fixed.onnx" : "symbolic.onnx");
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      so.setOptimizedModelFilePath(optimized.toString());
      if (fixedBatch) {
        so.setSymbolicDimensionValue(GradientGraph.BATCH_DIMENSION, 8);
      }
      org.netvis.engine.runtime.OrtEnvironments.get().createSession(graph, so).close();
    }
    int count = 0;
    for (NodeProto n : ModelProto.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList()) {
      count += n.getOpType().startsWith("Reorder") ? 1 : 0;
    }
    return count;
  }
}

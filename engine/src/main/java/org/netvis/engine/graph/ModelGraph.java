package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A forward classifier graph as netvis sees it: one 4-D float image input (N, C, H, W) and a
 * (batch, classes) float output. Dimensions that are symbolic in the file are reported as -1.
 */
public record ModelGraph(ModelProto proto, String inputName, long[] inputShape, String outputName,
    long[] outputShape) {

  public static ModelGraph read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new java.nio.file.NoSuchFileException(file + ": no such model file");
    }
    return parse(bytes, file.toString());
  }

  public static ModelGraph parse(byte[] bytes, String source) {
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new GraphBuildException(source + ": not a readable ONNX model (" + e.getMessage() + ")");
    }
    if (!proto.hasGraph() || proto.getGraph().getNodeCount() == 0) {
      throw new GraphBuildException(source + ": not an ONNX model (no graph nodes found)");
    }
    return of(proto, source);
  }

  public static ModelGraph of(ModelProto proto, String source) {
    GraphProto graph = proto.getGraph();
    Set<String> initializers = new HashSet<>();
    graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
    List<ValueInfoProto> inputs = graph.getInputList().stream().filter(v -> !initializers.contains(v.getName())).toList();
    if (inputs.size() != 1) {
      throw new GraphBuildException(source + ": expected exactly one image input, found "
          + inputs.stream().map(ValueInfoProto::getName).toList());
    }
    ValueInfoProto input = inputs.get(0);
    long[] inShape = shapeOf(input);
    if (input.getType().getTensorType().getElemType() != TensorProto.DataType.FLOAT_VALUE || inShape.length != 4) {
      throw new GraphBuildException(source + ": input '" + input.getName() + "' is "
          + describe(input) + "; expected a 4-D float tensor (N, C, H, W)");
    }
    if (inShape[1] < 0) {
      throw new GraphBuildException(source + ": input '" + input.getName() + "' has no fixed channel count");
    }
    if (graph.getOutputCount() < 1) {
      throw new GraphBuildException(source + ": the graph has no outputs");
    }
    ValueInfoProto output = graph.getOutput(0);
    long[] outShape = shapeOf(output);
    if (output.getType().getTensorType().getElemType() != TensorProto.DataType.FLOAT_VALUE
        || (output.getType().getTensorType().hasShape() && outShape.length != 2)) {
      throw new GraphBuildException(source + ": output '" + output.getName() + "' is " + describe(output)
          + "; expected float scores of shape (batch, classes)");
    }
    return new ModelGraph(proto, input.getName(), inShape, output.getName(), outShape);
  }

  /** The number of classes, or -1 when the file leaves it symbolic. */
  public long classes() {
    return outputShape.length == 2 ? outputShape[1] : -1;
  }

  /** True when the file fixes the batch dimension (zoo exports often fix it to 1). */
  public boolean fixedBatch() {
    return inputShape[0] > 0;
  }

  static long[] shapeOf(ValueInfoProto v) {
    if (!v.getType().getTensorType().hasShape()) {
      return new long[0];
    }
    List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = dims.get(i).hasDimValue() ? dims.get(i).getDimValue() : -1;
    }
    return shape;
  }

  private static String describe(ValueInfoProto v) {
    TensorProto.DataType type = TensorProto.DataType.forNumber(v.getType().getTensorType().getElemType());
    return (type == null ? "of unknown type" : type.name().toLowerCase()) + " " + BackwardContext.describe(shapeOf(v));
  }
}

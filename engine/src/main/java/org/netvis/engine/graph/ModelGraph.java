package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A forward classifier graph as netvis sees it: one 4-D float image input (N, C, H, W) and a
 * (batch, classes) float output. Dimensions that are symbolic in the file are reported as -1.
 * A channels-last file ({@code layout} NHWC) is seen through a Transpose placed in front of it, so
 * {@code proto} and {@code inputShape} are NCHW either way; the input keeps its name. {@code notes} says,
 * under "input", "output", "outputs", "precision", "fused", "quantization" and "weights", what netvis read into
 * or changed in the file to see it so: a channel count the file leaves symbolic, scores taken from
 * before a final Softmax, the one output of several that it explains, a float16 or bfloat16 file
 * widened to float32, quantizers whose gradient is straight-through, weights read from external data
 * files (the run manifest's model record holds them under the same keys). {@code asWritten}:
 * {@code proto} is the file's model unchanged, so the file's bytes load it. {@code dataFiles}: the
 * files beside the model file whose values {@code proto} holds, and how graphs derived from it are
 * serialized ({@link #serialize}).
 */
public record ModelGraph(ModelProto proto, String inputName, long[] inputShape, String outputName,
    long[] outputShape, ImageLayout layout, Map<String, String> notes, boolean asWritten, DataFiles dataFiles) {

  public static ModelGraph read(Path file) throws IOException {
    return read(file, null);
  }

  /** @param layout the descriptor's input layout, or null to detect it from the input's shape */
  public static ModelGraph read(Path file, ImageLayout layout) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new java.nio.file.NoSuchFileException(file + ": no such model file");
    }
    return parse(bytes, file, layout);
  }

  /**
   * A model file's bytes, parsed; tensors whose values the file keeps in external data files are read
   * from beside {@code file}, and the graph's {@link #externalData} names those files.
   */
  public static ModelGraph parse(byte[] bytes, Path file, ImageLayout layout) throws IOException {
    return parse(bytes, file, layout, null);
  }

  /** @param output the graph output to explain, as a model's descriptor names it; null for the first */
  public static ModelGraph parse(byte[] bytes, Path file, ImageLayout layout, String output) throws IOException {
    String source = file.toString();
    ExternalData.Read read = ExternalData.read(proto(bytes, source), file.toAbsolutePath().getParent(), source);
    return of(read.model(), source, layout, output, read.files().files().isEmpty() ? null : read);
  }

  public static ModelGraph parse(byte[] bytes, String source) {
    return parse(bytes, source, null);
  }

  /** Bytes of a model that keeps every tensor inside them (no file to find external data beside). */
  public static ModelGraph parse(byte[] bytes, String source, ImageLayout layout) {
    ModelProto proto = proto(bytes, source);
    if (ExternalData.uses(proto)) {
      throw new GraphBuildException(source + ": the model keeps tensors in external data files; netvis reads such a"
          + " model from its .onnx file, with the data files beside it");
    }
    return of(proto, source, layout);
  }

  private static ModelProto proto(byte[] bytes, String source) {
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new GraphBuildException(source + ": not a readable ONNX model (" + e.getMessage() + ")");
    }
    if (!proto.hasGraph() || proto.getGraph().getNodeCount() == 0) {
      throw new GraphBuildException(source + ": not an ONNX model (no graph nodes found)");
    }
    return proto;
  }

  public static ModelGraph of(ModelProto proto, String source) {
    return of(proto, source, null);
  }

  public static ModelGraph of(ModelProto proto, String source, ImageLayout declared) {
    return of(proto, source, declared, null, null);
  }

  /**
   * @param declaredOutput the output to explain (moved first among the graph's outputs); null for the first
   * @param external the external data read into {@code proto}, or null where the file held every tensor
   */
  private static ModelGraph of(ModelProto proto, String source, ImageLayout declared, String declaredOutput,
      ExternalData.Read external) {
    ModelProto asWritten = external == null ? proto : null;
    List<ValueInfoProto> fileOutputs = proto.getGraph().getOutputList();
    proto = outputFirst(proto, declaredOutput, source);
    FusedOperators.refuseHardwareLayouts(proto, source);
    Float32Widening.Widened widened = Float32Widening.widen(proto);
    IntegerOperators.Expanded integers = IntegerOperators.expand(widened.model());
    DynamicQuantization.Rewritten dynamic = DynamicQuantization.rewrite(integers.model());
    // After DynamicQuantization, which reads a QAttention as a float com.microsoft Attention.
    FusedOperators.Expanded fused = FusedOperators.expand(dynamic.model());
    QuantizerScalars.Rewired scalars = QuantizerScalars.rewire(fused.model());
    proto = scalars.model();
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
          + describe(input) + "; expected a 4-D float image tensor (N, C, H, W) or channels-last (N, H, W, C)");
    }
    Map<String, String> notes = new LinkedHashMap<>();
    NodeProto firstConv = convReading(graph, input.getName());
    ImageLayout layout = declared != null ? declared : detectLayout(inShape, input.getName(), source, firstConv);
    if (layout == ImageLayout.NHWC) {
      if (inShape[3] != 3 && inShape[3] != 1) {
        throw new GraphBuildException(source + ": channels-last input '" + input.getName() + "' has shape "
            + BackwardContext.describe(inShape) + ", " + (inShape[3] < 0 ? "an unknown number of" : inShape[3])
            + " channels per pixel; expected (N, H, W, 3) for RGB images");
      }
      proto = channelsFirst(proto, input.getName(), inShape);
      inShape = new long[] {inShape[0], inShape[3], inShape[1], inShape[2]};
    }
    if (inShape[1] < 0 && layout == ImageLayout.NCHW && firstConv != null) {
      // Hugging Face's exports name every input axis (num_channels too); the Conv reading it says how many.
      inShape[1] = convChannels(graph, firstConv);
      notes.put("input", "the file leaves the channel count of input '" + input.getName() + "' symbolic; netvis"
          + " takes " + inShape[1] + " from Conv node '" + firstConv.getName() + "', which reads it");
    }
    if (inShape[1] < 0) {
      throw new GraphBuildException(source + ": input '" + input.getName() + "' has no fixed channel count, and no"
          + " Conv with constant weights reads it to tell one");
    }
    if (graph.getOutputCount() < 1) {
      throw new GraphBuildException(source + ": the graph has no outputs");
    }
    ValueInfoProto output = graph.getOutput(0);
    if (graph.getOutputCount() > 1) {
      // A model that also returns features or probabilities: which tensor is explained must be visible.
      notes.put("outputs", "the file has " + graph.getOutputCount() + " outputs (" + String.join(", ",
          fileOutputs.stream().map(v -> "'" + v.getName() + "' " + describe(v)).toList()) + "); netvis explains "
          + (declaredOutput == null ? "the first, '" + output.getName() + "'" : "'" + output.getName()
          + "', as the model's descriptor says"));
    }
    NodeProto softmax = finalSoftmax(graph, output.getName());
    if (softmax != null) {
      // Caffe-era zoo exports and Keras models end in Softmax, models trained with NLLLoss in
      // LogSoftmax: netvis differentiates class scores, so it takes their input as the model's output.
      boolean log = softmax.getOpType().equals("LogSoftmax");
      notes.put("output", "the file's output '" + output.getName() + "' holds " + (log ? "log-" : "") + "probabilities;"
          + " netvis uses the scores '" + softmax.getInput(0) + "' that enter its final " + softmax.getOpType() + " node '"
          + softmax.getName() + "'");
      ValueInfoProto scores = output.toBuilder().setName(softmax.getInput(0)).build();
      proto = proto.toBuilder().setGraph(proto.getGraph().toBuilder().setOutput(0, scores)).build();
      output = scores;
    }
    long[] outShape = shapeOf(output);
    if (output.getType().getTensorType().getElemType() != TensorProto.DataType.FLOAT_VALUE
        || (output.getType().getTensorType().hasShape() && outShape.length != 2)) {
      throw new GraphBuildException(source + ": output '" + output.getName() + "' is " + describe(output)
          + "; expected float scores of shape (batch, classes)");
    }
    if (widened.note() != null) {
      notes.put("precision", widened.note());
    }
    if (!fused.operators().isEmpty()) {
      notes.put("fused", "ONNX Runtime's fused operators (" + String.join(", ", fused.operators().entrySet().stream()
          .map(c -> c.getValue() + " com.microsoft." + c.getKey()).toList()) + ") read as their definitions in ONNX"
          + " operators, which ONNX Runtime fuses again where it can");
    }
    if (external != null) {
      notes.put("weights", external.note());
    }
    long quantizers = graph.getNodeList().stream()
        .filter(n -> Quantizers.isQuantize(n) && !initializers.contains(n.getInput(0))).count();
    if (quantizers > 0) {
      notes.put("quantization", "the file quantizes " + quantizers + (quantizers == 1 ? " tensor" : " tensors")
          + " computed from the image (QuantizeLinear);"
          + " gradients pass each quantize-dequantize pair straight through where it did not clamp, as PyTorch's"
          + " fake quantization does" + (integers.operators().isEmpty() ? "" : "; the file's integer operators (the"
          + " QOperator format: " + String.join(", ", integers.operators().entrySet().stream()
          .map(c -> c.getValue() + " " + c.getKey()).toList()) + ") read as their definition, DequantizeLinear ->"
          + " float operator -> QuantizeLinear")
          + (dynamic.quantizers() == 0 ? "" : "; dynamic quantization: " + dynamic.quantizers()
          + " DynamicQuantizeLinear read per image (each image's scale and zero point from its own values, as"
          + " ONNX Runtime computes them for a batch of one), " + dynamic.products() + " integer products"
          + " (MatMulInteger, ConvInteger; QAttention as the float Attention it quantizes) computed in float32 from"
          + " the dequantized values")
          + (scalars.inputs() == 0 ? "" : "; " + scalars.inputs() + " one-element scales"
          + " and zero points read as scalars, which ONNX Runtime's QDQ fusion needs"));
    }
    return new ModelGraph(proto, input.getName(), inShape, output.getName(), outShape, layout,
        Collections.unmodifiableMap(notes), proto == asWritten, external == null ? DataFiles.none(source) : external.files());
  }

  /** The files beside the model file whose values the model holds; empty where it holds them all. */
  public List<Path> externalData() {
    return dataFiles.files();
  }

  /**
   * A graph derived from this model (or the model itself) as one ONNX message for ONNX Runtime, its
   * weights referring to the model's data files where it has them ({@link DataFiles#serialize}).
   */
  public byte[] serialize(ModelProto derived) {
    return dataFiles.serialize(derived);
  }

  /**
   * This model with other values in some of its tensors (the sanity check's redrawn layers), seen as
   * this one is: the tensors it shares with this model refer to the same data files.
   */
  public ModelGraph withProto(ModelProto variant, String source) {
    ModelGraph seen = of(variant, source, ImageLayout.NCHW);
    return new ModelGraph(seen.proto, seen.inputName, seen.inputShape, seen.outputName, seen.outputShape, seen.layout,
        seen.notes, seen.asWritten, dataFiles);
  }

  /**
   * The note under "input", "output", "outputs", "precision", "fused", "quantization" or "weights"; null when there
   * is none.
   */
  public String note(String key) {
    return notes.get(key);
  }

  /** The model with the output named {@code name} first among the graph's outputs; unchanged for null. */
  private static ModelProto outputFirst(ModelProto proto, String name, String source) {
    if (name == null) {
      return proto;
    }
    List<ValueInfoProto> outputs = proto.getGraph().getOutputList();
    for (int i = 0; i < outputs.size(); i++) {
      if (outputs.get(i).getName().equals(name)) {
        if (i == 0) {
          return proto;
        }
        List<ValueInfoProto> reordered = new java.util.ArrayList<>(outputs);
        reordered.add(0, reordered.remove(i));
        return proto.toBuilder().setGraph(proto.getGraph().toBuilder().clearOutput().addAllOutput(reordered)).build();
      }
    }
    throw new GraphBuildException(source + ": output '" + name + "', which the model's descriptor names, is not an"
        + " output of the graph; its outputs are " + outputs.stream().map(ValueInfoProto::getName).toList());
  }

  /** The Conv that reads the input directly with constant weights, or null. */
  private static NodeProto convReading(GraphProto graph, String input) {
    for (NodeProto n : graph.getNodeList()) {
      if (n.getOpType().equals("Conv") && n.getInputCount() > 1 && n.getInput(0).equals(input)
          && convChannels(graph, n) > 0) {
        return n;
      }
    }
    return null;
  }

  /** The channels a Conv's constant weights [out, in / group, kh, kw] read; -1 when they are not an initializer. */
  private static long convChannels(GraphProto graph, NodeProto conv) {
    for (TensorProto t : graph.getInitializerList()) {
      if (t.getName().equals(conv.getInput(1)) && t.getDimsCount() >= 3) {
        return t.getDims(1) * Attributes.getInt(conv, "group", 1);
      }
    }
    return -1;
  }

  /** The Softmax or LogSoftmax node producing {@code output} when it normalizes over the classes; else null. */
  private static NodeProto finalSoftmax(GraphProto graph, String output) {
    for (NodeProto n : graph.getNodeList()) {
      if (n.getOutputList().contains(output)) {
        boolean softmax = (n.getOpType().equals("Softmax") || n.getOpType().equals("LogSoftmax"))
            && (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"));
        long axis = Attributes.getInt(n, "axis", 1);
        return softmax && (axis == 1 || axis == -1) ? n : null;
      }
    }
    return null;
  }

  /**
   * NCHW when the second axis holds 1 to 4 channels; channels-last when the last one does (its
   * channel count is checked by the caller); anything else is refused with its shape.
   */
  private static ImageLayout detectLayout(long[] s, String name, String source, NodeProto firstConv) {
    if (s[1] > 0 && s[1] <= 4) {
      return ImageLayout.NCHW;
    }
    if (s[3] > 0 && s[3] <= 4) {
      return ImageLayout.NHWC;
    }
    if (s[1] < 0 && firstConv != null) {
      // A Conv reads the input as it is: channels first.
      return ImageLayout.NCHW;
    }
    throw new GraphBuildException(source + ": input '" + name + "' has shape " + BackwardContext.describe(s)
        + ", which is neither NCHW (N, 3, H, W) nor channels-last (N, H, W, 3); set input.layout in the"
        + " model's descriptor if it is one of them");
  }

  /**
   * The same model with an NCHW input of the same name, transposed to the original channels-last
   * tensor (renamed) in front of every node that read it.
   */
  private static ModelProto channelsFirst(ModelProto proto, String input, long[] nhwc) {
    String inner = input + "/netvis_nhwc";
    GraphProto graph = proto.getGraph();
    GraphProto.Builder g = graph.toBuilder().clearNode();
    g.addNode(NodeProto.newBuilder().setOpType("Transpose").setName("netvis/to_channels_last")
        .addInput(input).addOutput(inner).addAttribute(Attributes.of("perm", new long[] {0, 2, 3, 1})));
    for (NodeProto n : graph.getNodeList()) {
      NodeProto.Builder b = n.toBuilder();
      for (int i = 0; i < b.getInputCount(); i++) {
        if (b.getInput(i).equals(input)) {
          b.setInput(i, inner);
        }
      }
      g.addNode(b);
    }
    for (int i = 0; i < g.getInputCount(); i++) {
      if (g.getInput(i).getName().equals(input)) {
        g.setInput(i, GradientGraphBuilder.floatValue(input, new long[] {nhwc[0], nhwc[3], nhwc[1], nhwc[2]}));
      }
    }
    return proto.toBuilder().setGraph(g).build();
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

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OrtException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Derives a vector-Jacobian-product model from a forward ONNX classifier by reverse-mode
 * differentiation over its graph, written in plain ONNX operators so that ONNX Runtime runs it on
 * any execution provider.
 *
 * <p>Steps: bring the graph to one opset; make the batch dynamic; learn every tensor's shape with a
 * probe run at the requested spatial size; then a {@link BackwardPass} walks the nodes in reverse.
 * This class prepares and remembers the last preparation; the pass derives.
 */
public final class GradientGraphBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(GradientGraphBuilder.class);

  /** Builds the graph for the default spec (logits cotangent in, input gradient out). */
  public GradientGraph build(ModelGraph forward, long height, long width) {
    return build(forward, VjpSpec.DEFAULT, height, width, "");
  }

  public GradientGraph build(ModelGraph forward, VjpSpec spec, long height, long width, String forwardSha256) {
    Prepared prepared = prepare(forward, height, width);
    if (!spec.shifts().isEmpty()) {
      prepared = shifted(prepared, forward, spec.shifts());
    }
    derived.startBuild();
    return new BackwardPass(prepared, forward, spec, height, width, forwardSha256, derived).run();
  }

  /**
   * The prepared model with each tensor T of {@code tensors} read as T + D by every node that read T,
   * D a new graph input of T's shape ({@link VjpSpec#shifts}). T itself stays, so that its gradient
   * (the gradient at T + D) and its value can still be asked for.
   */
  private static Prepared shifted(Prepared prepared, ModelGraph forward, List<String> tensors) {
    GraphProto graph = prepared.model().getGraph();
    Map<String, ShapeProbe.Probed> shapes = new HashMap<>(prepared.shapes());
    GraphProto.Builder g = graph.toBuilder().clearNode();
    for (String t : tensors) {
      ShapeProbe.Probed p = prepared.shapes().get(t);
      if (p == null || !p.isFloat() || !prepared.dependence().dependsOnInput(t)) {
        throw new GraphBuildException("tensor '" + t + "' cannot be shifted: it is not a float tensor that a node"
            + " computes from the image; `netvis layers` lists those on the gradient path");
      }
      if (t.equals(forward.outputName())) {
        throw new GraphBuildException("tensor '" + t + "' cannot be shifted: it is the model's output; shift a"
            + " tensor the output is computed from");
      }
      shapes.put(VjpSpec.shiftName(t), p);
      shapes.put(VjpSpec.shiftedName(t), p);
      g.addInput(floatValue(VjpSpec.shiftName(t), p.shape()));
    }
    for (NodeProto n : graph.getNodeList()) {
      if (InputDependence.hasSubgraphs(n) && InputDependence.reads(n).stream().anyMatch(tensors::contains)) {
        throw new GraphBuildException("tensor read inside the subgraph of node '" + n.getName() + "' ("
            + n.getOpType() + ") cannot be shifted");
      }
      NodeProto.Builder reader = n.toBuilder();
      for (int i = 0; i < n.getInputCount(); i++) {
        if (tensors.contains(n.getInput(i))) {
          reader.setInput(i, VjpSpec.shiftedName(n.getInput(i)));
        }
      }
      g.addNode(reader);
      for (String out : n.getOutputList()) {
        if (tensors.contains(out)) {
          g.addNode(NodeProto.newBuilder().setOpType("Add").setName("netvis/shift_node/" + out)
              .addInput(out).addInput(VjpSpec.shiftName(out)).addOutput(VjpSpec.shiftedName(out)));
        }
      }
    }
    ModelProto model = prepared.model().toBuilder().setGraph(g).build();
    return new Prepared(model, shapes, prepared.fixedBatch(), InputDependence.of(model.getGraph(), forward.inputName()),
        prepared.imageActivationBytes());
  }

  /**
   * The tensors a gradient can flow through (they depend on the image and the logits depend on
   * them), in graph order, each with the node that makes it and its shape at this input size: what
   * {@link VjpSpec} seeds and Grad-CAM or feature-visualization layers may name.
   */
  public List<LayerTensor> gradientPath(ModelGraph forward, long height, long width) {
    Prepared prepared = prepare(forward, height, width);
    GraphProto graph = prepared.model().getGraph();
    Set<String> reachesOutput = new HashSet<>(List.of(forward.outputName()));
    List<NodeProto> nodes = graph.getNodeList();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      NodeProto n = nodes.get(i);
      if (n.getOutputList().stream().anyMatch(reachesOutput::contains)) {
        reachesOutput.addAll(InputDependence.reads(n));
      }
    }
    Map<String, ImageLayout> layouts = TensorLayouts.of(graph, forward.inputName(), t -> {
      ShapeProbe.Probed p = prepared.shapes().get(t);
      return p == null ? null : p.shape();
    });
    List<LayerTensor> out = new ArrayList<>();
    for (NodeProto n : nodes) {
      for (String t : n.getOutputList()) {
        ShapeProbe.Probed p = prepared.shapes().get(t);
        if (p != null && p.isFloat() && prepared.dependence().dependsOnInput(t) && reachesOutput.contains(t)) {
          out.add(new LayerTensor(t, n.getOpType(), n.getName(), p.shape(), layouts.get(t)));
        }
      }
    }
    return out;
  }

  /**
   * The forward model returning, besides the logits, the named internal tensors (names as
   * {@link #gradientPath} lists them): what objectives that are not linear in a tensor (DeepDream's
   * mean of squares, a diversity term) read before their cotangent can be formed.
   */
  public ModelProto activationGraph(ModelGraph forward, List<String> tensors, long height, long width) {
    return activationGraph(forward, tensors, height, width, true);
  }

  /**
   * {@link #activationGraph}, or, without the logits, the named tensors alone from the nodes they need:
   * the model up to a layer, for the methods that read a layer's values and not the scores.
   */
  public ModelProto activationGraph(ModelGraph forward, List<String> tensors, long height, long width,
      boolean withLogits) {
    Prepared prepared = prepare(forward, height, width);
    GraphProto.Builder g = prepared.model().getGraph().toBuilder().clearOutput().clearValueInfo();
    List<String> outputs = new ArrayList<>(withLogits ? List.of(forward.outputName()) : List.of());
    tensors.stream().filter(t -> !outputs.contains(t)).forEach(outputs::add);
    for (String t : outputs) {
      ShapeProbe.Probed p = prepared.shapes().get(t);
      if (p == null || !p.isFloat()) {
        throw new GraphBuildException("tensor '" + t + "' is not a float tensor produced by any node of the model");
      }
      g.addOutput(floatValue(t, p.shape()));
    }
    // LRN as the gradient graph and the forward pass compute it, so activations match theirs.
    ModelProto model = LrnWindowSums.recomputed(prepared.model().toBuilder().setGraph(g).build(), imageChannels(prepared));
    if (withLogits) {
      return model;
    }
    GraphProto graph = model.getGraph();
    return model.toBuilder().setGraph(graph.toBuilder().clearNode().addAllNode(NeededNodes.of(graph.getNodeList(),
        outputs))).build();
  }

  /** The output name of {@link #unitGraph}'s graph for a tensor. */
  public static String unitOutput(String tensor) {
    return tensor + "/netvis_unit";
  }

  /**
   * The model up to {@code tensor} returning one unit of it per image, [N, 1]: the value at
   * {@code offset} in each image's part of the tensor (row-major; the batch its first axis). A method
   * that reads one unit of hundreds of images (neuron feature ablation) then takes N floats out of
   * ONNX Runtime instead of the whole layer, whose arrays, tens of megabytes a batch, the collector
   * promoted at every young collection (bench/README.md, fifty-fourth session).
   */
  public ModelProto unitGraph(ModelGraph forward, String tensor, long offset, long height, long width) {
    ModelProto model = activationGraph(forward, List.of(tensor), height, width, false);
    String rows = tensor + "/netvis_unit_rows";
    String rowsShape = rows + "_shape";
    String index = tensor + "/netvis_unit_index";
    String unit = unitOutput(tensor);
    GraphProto.Builder g = model.getGraph().toBuilder().clearOutput()
        .addInitializer(TensorProtos.longs(rowsShape, new long[] {2}, new long[] {0, -1}))
        .addInitializer(TensorProtos.longs(index, new long[] {1}, new long[] {offset}))
        .addNode(NodeProto.newBuilder().setOpType("Reshape").setName(rows).addInput(tensor).addInput(rowsShape)
            .addOutput(rows))
        .addNode(NodeProto.newBuilder().setOpType("Gather").setName(unit).addInput(rows).addInput(index)
            .addOutput(unit).addAttribute(Attributes.of("axis", 1L)))
        .addOutput(floatValue(unit, new long[] {-1, 1}));
    return model.toBuilder().setGraph(g).build();
  }

  /**
   * The forward model from {@code tensor} (a name {@link #gradientPath} lists) up, the tensor a graph
   * input ({@link FromLayerGraph}); LRNs as {@link #activationGraph} computes them, so that the
   * tensor's activations from there give back the forward pass's logits.
   */
  public FromLayerGraph fromLayerGraph(ModelGraph forward, String tensor, long height, long width) {
    Prepared prepared = prepare(forward, height, width);
    ShapeProbe.Probed p = prepared.shapes().get(tensor);
    if (p == null || !p.isFloat() || !prepared.dependence().dependsOnInput(tensor)
        || tensor.equals(forward.outputName())) {
      throw new GraphBuildException("tensor '" + tensor + "' cannot be set: expected a float tensor that a node"
          + " computes from the image below the logits; `netvis layers` lists those on the gradient path");
    }
    ModelProto model = LrnWindowSums.recomputed(prepared.model(), imageChannels(prepared));
    return FromLayerGraph.of(model, tensor, p.shape(), forward.inputName(), forward.outputName(),
        prepared.shapes().get(forward.outputName()).shape());
  }

  /**
   * The forward model as the engine runs it: {@code forward}'s graph with each LRN over an image
   * tensor recomputed from its window sums ({@link LrnWindowSums#recomputed}), the channel counts
   * from this size's probe; {@code forward}'s own model, unprobed, where it has no LRN.
   */
  public ModelProto forwardModel(ModelGraph forward, long height, long width) {
    if (LrnWindowSums.count(forward.proto()) == 0) {
      return forward.proto();
    }
    return LrnWindowSums.recomputed(forward.proto(), imageChannels(prepare(forward, height, width)));
  }

  /** A tensor's channel count where the probe saw it 4-D, else -1. */
  private static java.util.function.ToLongFunction<String> imageChannels(Prepared prepared) {
    return t -> {
      ShapeProbe.Probed p = prepared.shapes().get(t);
      return p != null && p.shape().length == 4 ? p.shape()[1] : -1;
    };
  }

  /**
   * A tensor on the gradient path; -1 in {@code shape} marks the batch axis. {@code layout}: a 4-D
   * tensor's layout where its operators fix it ({@link TensorLayouts}), else null.
   */
  public record LayerTensor(String name, String opType, String nodeName, long[] shape, ImageLayout layout) {}

  /** The last preparation, and what it was for. */
  private record PreparedFor(ModelGraph forward, long height, long width, Prepared prepared) {}

  // Kept because an engine derives several graphs of one model at one size (the default VJP, Grad-CAM's
  // and guided backprop's variants, an activation graph, the gradient path), and each preparation runs
  // the whole forward pass twice to probe its shapes. A model that differs from the last one only in
  // weights that set no shape (the sanity check's copies with redrawn layers) takes the last probe.
  private PreparedFor last;
  private int probes;
  private final DerivedConstants derived = new DerivedConstants();

  private synchronized Prepared prepare(ModelGraph forward, long height, long width) {
    PreparedFor l = last;
    if (l != null && l.forward() == forward && l.height() == height && l.width() == width) {
      return l.prepared();
    }
    Prepared prepared = l != null && l.height() == height && l.width() == width ? withNewWeights(l, forward) : null;
    if (prepared == null) {
      prepared = prepareAnew(forward, height, width);
    }
    last = new PreparedFor(forward, height, width, prepared);
    return prepared;
  }

  /** How many preparations probed their model's shapes (the others took the last probe). */
  synchronized int probes() {
    return probes;
  }

  /** How many weight-derived constants the builds derived (the others were remembered). */
  long derivedConstants() {
    return derived.derivations();
  }

  /**
   * {@code forward} prepared with {@code l}'s probe, where it is {@code l}'s model with other values
   * in weights that set no shape ({@link NewWeights}); else null.
   */
  private static Prepared withNewWeights(PreparedFor l, ModelGraph forward) {
    ModelGraph was = l.forward();
    if (!was.inputName().equals(forward.inputName()) || !was.outputName().equals(forward.outputName())
        || !java.util.Arrays.equals(was.inputShape(), forward.inputShape()) || was.fixedBatch() != forward.fixedBatch()) {
      return null;
    }
    Prepared p = l.prepared();
    ModelProto model = runnable(OpsetCanonicalizer.canonicalize(forward.proto()), forward, l.height(), l.width(),
        p.fixedBatch());
    String why = NewWeights.whyProbeAgain(p.model().getGraph(), model.getGraph(), p.dependence());
    if (why != null) {
      LOG.debug("probing the shapes of graph {} again: {}", forward.proto().getGraph().getName(), why);
      return null;
    }
    return new Prepared(model, p.shapes(), p.fixedBatch(), p.dependence(), p.imageActivationBytes());
  }

  private Prepared prepareAnew(ModelGraph forward, long height, long width) {
    long[] declared = forward.inputShape();
    if ((declared[2] > 0 && declared[2] != height) || (declared[3] > 0 && declared[3] != width)) {
      throw new GraphBuildException("the model input '" + forward.inputName() + "' is fixed to "
          + declared[2] + "x" + declared[3] + "; cannot build a gradient graph for " + height + "x" + width);
    }
    probes++;
    ModelProto model = OpsetCanonicalizer.canonicalize(forward.proto());
    return makeBatchDynamic(model, forward, height, width);
  }

  /**
   * The canonical forward model, its tensors' shapes (-1 where batch-dependent), and batch mode.
   *
   * @param imageActivationBytes the bytes of every float tensor the forward pass computes from one image
   *     (see {@link GradientGraph#imageActivationBytes})
   */
  record Prepared(ModelProto model, Map<String, ShapeProbe.Probed> shapes, boolean fixedBatch,
      InputDependence dependence, long imageActivationBytes) {}

  /** The bytes of the float tensors in {@code probed} that depend on the image, per image of {@code batch}. */
  private static long activationBytes(Map<String, ShapeProbe.Probed> probed, Set<String> independent, long batch) {
    long bytes = 0;
    for (Map.Entry<String, ShapeProbe.Probed> e : probed.entrySet()) {
      if (e.getValue().isFloat() && !independent.contains(e.getKey())) {
        long n = Float.BYTES;
        for (long d : e.getValue().shape()) {
          n *= Math.max(d, 0);
        }
        bytes += n;
      }
    }
    return bytes / Math.max(batch, 1);
  }

  /**
   * The canonical model with its input at this size: a symbolic batch (and fixed-batch Reshapes
   * released), or the model's own fixed batch.
   */
  private static ModelProto runnable(ModelProto canonical, ModelGraph forward, long height, long width,
      boolean fixedBatch) {
    long[] declared = forward.inputShape();
    if (fixedBatch) {
      return withInputShape(canonical, forward.inputName(), declared[0], declared[1], height, width);
    }
    ModelProto dynamic = withInputShape(canonical, forward.inputName(), -1, declared[1], height, width);
    return forward.fixedBatch() ? releaseBatchInReshapes(dynamic, declared[0]) : dynamic;
  }

  private Prepared makeBatchDynamic(ModelProto model, ModelGraph forward, long height, long width) {
    long channels = forward.inputShape()[1];
    ModelProto dynamic = runnable(model, forward, height, width, false);
    InputDependence dependence = InputDependence.of(dynamic.getGraph(), forward.inputName());
    Set<String> independent = dependence.independentOutputs(dynamic.getGraph());
    try {
      Map<String, ShapeProbe.Probed> one = ShapeProbe.run(dynamic, forward.dataFiles(), forward.inputName(), new long[] {1, channels, height, width}, independent);
      Map<String, ShapeProbe.Probed> two = ShapeProbe.run(dynamic, forward.dataFiles(), forward.inputName(), new long[] {2, channels, height, width}, independent);
      ShapeProbe.Probed out = two.get(forward.outputName());
      if (out != null && out.shape().length > 0 && out.shape()[0] == 2) {
        return new Prepared(dynamic, markBatchDims(one, two), false, dependence, activationBytes(one, independent, 1));
      }
      if (!forward.fixedBatch()) {
        throw new GraphBuildException("output '" + forward.outputName() + "' has shape "
            + java.util.Arrays.toString(out == null ? null : out.shape()) + " for a batch of 2 images; expected [2, classes]");
      }
      LOG.debug("batch 2 gave output shape {}; keeping a fixed batch", out == null ? null : out.shape());
    } catch (OrtException e) {
      if (!forward.fixedBatch()) {
        throw new GraphBuildException("running the forward graph at " + height + "x" + width + " failed: " + e.getMessage(), e);
      }
      LOG.debug("the fixed batch could not be released: {}", e.getMessage());
    }
    long batch = forward.inputShape()[0];
    ModelProto fixed = runnable(model, forward, height, width, true);
    try {
      InputDependence fixedDependence = InputDependence.of(fixed.getGraph(), forward.inputName());
      Set<String> fixedIndependent = fixedDependence.independentOutputs(fixed.getGraph());
      Map<String, ShapeProbe.Probed> shapes = ShapeProbe.run(fixed, forward.dataFiles(), forward.inputName(),
          new long[] {batch, channels, height, width}, fixedIndependent);
      LOG.info("the model fixes its batch to {}; images will run one batch of {} at a time", batch, batch);
      return new Prepared(fixed, shapes, true, fixedDependence, activationBytes(shapes, fixedIndependent, batch));
    } catch (OrtException e) {
      throw new GraphBuildException("running the forward graph at " + height + "x" + width + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Merges the probes at batch 1 and 2: dimensions that differ become -1, and a value is kept only
   * where both probes agree (a shape computed from the batch size is not a constant).
   */
  private static Map<String, ShapeProbe.Probed> markBatchDims(Map<String, ShapeProbe.Probed> one,
      Map<String, ShapeProbe.Probed> two) {
    Map<String, ShapeProbe.Probed> out = new HashMap<>();
    for (Map.Entry<String, ShapeProbe.Probed> e : two.entrySet()) {
      ShapeProbe.Probed a = one.get(e.getKey());
      ShapeProbe.Probed b = e.getValue();
      long[] s = b.shape().clone();
      boolean[] batchAxes = new boolean[s.length];
      if (a != null && a.shape().length == s.length) {
        for (int i = 0; i < s.length; i++) {
          if (a.shape()[i] != s[i]) {
            batchAxes[i] = a.shape()[i] == 1 && s[i] == 2;
            s[i] = -1;
          }
        }
      }
      TensorProto value = a != null && a.value() != null && b.value() != null
          && a.value().equals(b.value()) ? b.value() : null;
      out.put(e.getKey(), new ShapeProbe.Probed(s, b.type(), value, batchAxes));
    }
    return out;
  }

  /**
   * Zoo exports fix the batch to 1 and reshape with constants like [1, 1000]. Where such a
   * Reshape's leading entry equals the fixed batch, 0 ("copy the input's dimension") keeps the
   * batch flowing. The probe at batch 2 verifies the result.
   */
  private static ModelProto releaseBatchInReshapes(ModelProto model, long batch) {
    GraphProto graph = model.getGraph();
    Map<String, TensorProto> initializers = new HashMap<>();
    graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
    GraphProto.Builder g = graph.toBuilder().clearNode();
    int counter = 0;
    for (NodeProto node : graph.getNodeList()) {
      if (node.getOpType().equals("Reshape") && node.getInputCount() > 1 && initializers.containsKey(node.getInput(1))) {
        long[] shape = TensorProtos.toLongs(initializers.get(node.getInput(1)));
        if (shape.length > 0 && shape[0] == batch) {
          shape[0] = 0;
          String name = "netvis/batch_released_shape_" + counter++;
          g.addInitializer(TensorProtos.longs(name, new long[] {shape.length}, shape));
          node = node.toBuilder().setInput(1, name).build();
        }
      }
      g.addNode(node);
    }
    g.clearValueInfo();
    for (int i = 0; i < g.getOutputCount(); i++) {
      g.setOutput(i, symbolicBatch(g.getOutput(i)));
    }
    return model.toBuilder().setGraph(g).build();
  }

  private static ValueInfoProto symbolicBatch(ValueInfoProto v) {
    if (!v.getType().getTensorType().hasShape() || v.getType().getTensorType().getShape().getDimCount() == 0) {
      return v;
    }
    ValueInfoProto.Builder b = v.toBuilder();
    b.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().setDim(0,
        TensorShapeProto.Dimension.newBuilder().setDimParam(GradientGraph.BATCH_DIMENSION));
    return b.build();
  }

  private static ModelProto withInputShape(ModelProto model, String input, long batch, long c, long h, long w) {
    GraphProto.Builder g = model.getGraph().toBuilder();
    for (int i = 0; i < g.getInputCount(); i++) {
      if (g.getInput(i).getName().equals(input)) {
        g.setInput(i, floatValue(input, new long[] {batch, c, h, w}));
      }
    }
    return model.toBuilder().setGraph(g).build();
  }

  static ValueInfoProto floatValue(String name, long[] shape) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : shape) {
      s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam(GradientGraph.BATCH_DIMENSION)
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
  }
}

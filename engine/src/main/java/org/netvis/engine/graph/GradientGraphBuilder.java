package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OrtException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
 * probe run at the requested spatial size; walk the nodes in reverse, letting each operator's
 * {@link NodeGradient} emit its input gradients, summing where a tensor feeds several nodes.
 */
public final class GradientGraphBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(GradientGraphBuilder.class);
  /** Operators whose output is their input under another shape, which ONNX Runtime may alias. */
  private static final Set<String> RELABELLING_OPS = Set.of("Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze");

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
    return new Pass(prepared, forward, spec, height, width, forwardSha256, derived).run();
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
    List<LayerTensor> out = new ArrayList<>();
    for (NodeProto n : nodes) {
      for (String t : n.getOutputList()) {
        ShapeProbe.Probed p = prepared.shapes().get(t);
        if (p != null && p.isFloat() && prepared.dependence().dependsOnInput(t) && reachesOutput.contains(t)) {
          out.add(new LayerTensor(t, n.getOpType(), n.getName(), p.shape()));
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

  /** A tensor on the gradient path; -1 in {@code shape} marks the batch axis. */
  public record LayerTensor(String name, String opType, String nodeName, long[] shape) {}

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

  /** The canonical forward model, its tensors' shapes (-1 where batch-dependent), and batch mode. */
  /**
   * @param imageActivationBytes the bytes of every float tensor the forward pass computes from one image
   *     (see {@link GradientGraph#imageActivationBytes})
   */
  private record Prepared(ModelProto model, Map<String, ShapeProbe.Probed> shapes, boolean fixedBatch,
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

  /** One reverse-mode pass over a prepared graph. */
  private static final class Pass implements BackwardContext {
    private final Prepared prepared;
    private final ModelGraph forward;
    private final VjpSpec spec;
    private final long height;
    private final long width;
    private final String forwardSha256;
    private final Map<String, TensorProto> constants = new HashMap<>();
    private final Set<String> active = new HashSet<>();
    private final Map<String, List<String>> contributions = new LinkedHashMap<>();
    private final Map<String, GradientParts> parts = new LinkedHashMap<>();
    private final Map<String, String> finished = new HashMap<>();
    private final Set<String> premasked = new HashSet<>();
    private final Set<NodeProto> recomputed = new HashSet<>();
    private final Map<String, long[]> declaredShapes = new LinkedHashMap<>();
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final Map<String, List<NodeProto>> readingNodes = new HashMap<>();
    /** Tensors read outside the forward nodes: graph outputs, seeds, returned and differentiated ones. */
    private final Set<String> readOutside = new HashSet<>();
    private final NodeEmitter emitter;
    private final DerivedConstants derived;

    Pass(Prepared prepared, ModelGraph forward, VjpSpec spec, long height, long width, String forwardSha256,
        DerivedConstants derived) {
      this.prepared = prepared;
      this.derived = derived;
      this.forward = forward;
      this.spec = spec;
      this.height = height;
      this.width = width;
      this.forwardSha256 = forwardSha256;
      GraphProto graph = prepared.model().getGraph();
      Set<String> names = new HashSet<>();
      graph.getInitializerList().forEach(t -> {
        constants.put(t.getName(), t);
        names.add(t.getName());
      });
      graph.getInputList().forEach(v -> names.add(v.getName()));
      for (NodeProto n : graph.getNodeList()) {
        names.addAll(n.getOutputList());
        names.add(n.getName()); // node names must stay unique too (ONNX Runtime refuses a graph otherwise)
        n.getOutputList().forEach(out -> producers.put(out, n));
        n.getInputList().forEach(in -> readingNodes.computeIfAbsent(in, k -> new ArrayList<>()).add(n));
        if (n.getOpType().equals("Constant")) {
          TensorProto value = constantValue(n);
          if (value != null) {
            constants.put(n.getOutput(0), value);
          }
        }
      }
      graph.getOutputList().forEach(v -> readOutside.add(v.getName()));
      readOutside.addAll(concat(spec.seeds(), spec.forwardOutputs(), spec.gradientsOf()));
      this.emitter = new NodeEmitter(names);
    }

    /** The tensors the rule now running sent a gradient to. */
    private final Set<String> received = new HashSet<>();

    GradientGraph run() {
      GraphProto graph = prepared.model().getGraph();
      String input = forward.inputName();
      active.add(input);
      for (NodeProto n : graph.getNodeList()) {
        for (String out : n.getOutputList()) {
          ShapeProbe.Probed p = prepared.shapes().get(out);
          if (p != null && p.isFloat() && prepared.dependence().dependsOnInput(out)) {
            active.add(out);
          }
        }
      }
      List<String> seeds = spec.seeds().isEmpty() ? List.of(forward.outputName()) : spec.seeds();
      List<String> gradientsOf = spec.gradientsOf().isEmpty() ? List.of(input) : spec.gradientsOf();
      for (String t : concat(seeds, spec.forwardOutputs(), gradientsOf)) {
        if (!t.equals(input) && !prepared.shapes().containsKey(t)) {
          throw new GraphBuildException("tensor '" + t + "' is not produced by any node of the model");
        }
      }
      List<ValueInfoProto> extraInputs = new ArrayList<>();
      for (String seed : seeds) {
        if (!active.contains(seed)) {
          throw new GraphBuildException("tensor '" + seed + "' does not depend on the input; it cannot seed a gradient");
        }
        String in = spec.seedInputName(seed);
        extraInputs.add(floatValue(in, shape(seed)));
        accumulate(seed, spec.seedInput() == VjpSpec.SeedInput.COTANGENT ? in : crossEntropyCotangent(seed, in));
      }

      List<NodeProto> forwardNodes = graph.getNodeList();
      if (spec.lrp() != null) {
        try {
          spec.lrp().requireEveryRuleUsed(forwardNodes.stream()
              .filter(n -> LrpRules.LAYER_OPERATORS.contains(n.getOpType()) && n.getInputList().stream().anyMatch(this::isActive))
              .map(NodeProto::getName).toList());
        } catch (IllegalArgumentException e) {
          throw new GraphBuildException(e.getMessage());
        }
      }
      for (int i = forwardNodes.size() - 1; i >= 0; i--) {
        NodeProto n = forwardNodes.get(i);
        List<String> grads = new ArrayList<>();
        boolean any = false;
        for (String out : n.getOutputList()) {
          String g = finish(out);
          grads.add(g);
          any |= g != null;
        }
        if (!any) {
          continue;
        }
        NodeGradient rule = GradientRules.forOp(n.getOpType(), spec.backward());
        // Nodes of other domains (com.microsoft, ai.onnx.ml) have no rules even where the op name matches,
        // but for com.microsoft's DequantizeLinear, the ONNX operator's twin.
        if (rule == null || !(n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx") || Quantizers.isDequantize(n))
            || InputDependence.hasSubgraphs(n)) {
          throw new UnsupportedOperatorException(n, GradientRules.supportedOperators());
        }
        refuseOtherFloatingPoint(n);
        refuseIntegerArithmetic(n);
        received.clear();
        rule.backward(n, grads, this);
        requireEveryActiveInputReached(n);
      }

      List<ValueInfoProto> outputs = new ArrayList<>();
      for (String t : concat(seeds, spec.forwardOutputs(), List.of())) {
        if (outputs.stream().noneMatch(v -> v.getName().equals(t))) {
          outputs.add(floatValue(t, shape(t)));
        }
      }
      for (String t : gradientsOf) {
        String g = finish(t);
        if (g == null) {
          g = emitter.zerosLike(t);
        }
        String name = VjpSpec.gradientName(t);
        emitter.add(outputNode(g, name, shape(t)));
        outputs.add(floatValue(name, shape(t)));
      }
      Set<String> readElsewhere = new HashSet<>();
      emitter.nodes().forEach(n -> readElsewhere.addAll(n.getInputList()));
      outputs.forEach(v -> readElsewhere.add(v.getName()));
      forwardNodes = TransposedGathers.rewrite(forwardNodes, t -> readingNodes.getOrDefault(t, List.of()), this::shape,
          this::constant, readElsewhere, emitter);

      List<ValueInfoProto> annotations = shapeAnnotations(forwardNodes, extraInputs, outputs);
      List<NodeProto> nodes = new ArrayList<>(forwardNodes);
      nodes.removeAll(recomputed);
      nodes.addAll(emitter.nodes());
      if (!recomputed.isEmpty()) {
        Set<String> available = new HashSet<>();
        graph.getInitializerList().forEach(t -> available.add(t.getName()));
        graph.getInputList().forEach(v -> available.add(v.getName()));
        extraInputs.forEach(v -> available.add(v.getName()));
        emitter.initializers().forEach(t -> available.add(t.getName()));
        nodes = TopologicalOrder.of(nodes, available);
      }
      GraphProto.Builder g = graph.toBuilder().clearNode().clearOutput().clearValueInfo()
          .addAllNode(nodes).addAllValueInfo(annotations)
          .addAllInitializer(emitter.initializers()).addAllInput(extraInputs).addAllOutput(outputs)
          .setName(graph.getName() + "_vjp");
      ModelProto.Builder m = prepared.model().toBuilder().setGraph(g).setProducerName("netvis")
          .setProducerVersion(GradientGraph.BUILDER_VERSION);
      m.clearMetadataProps();
      addMeta(m, GradientGraph.META_FORWARD_SHA256, forwardSha256);
      addMeta(m, GradientGraph.META_BUILDER_VERSION, GradientGraph.BUILDER_VERSION);
      addMeta(m, GradientGraph.META_SPEC, spec.key());
      addMeta(m, GradientGraph.META_INPUT_SIZE, height + "x" + width);
      addMeta(m, GradientGraph.META_FIXED_BATCH, Boolean.toString(prepared.fixedBatch()));
      addMeta(m, GradientGraph.META_SEEDS, String.join("\n", seeds));
      addMeta(m, GradientGraph.META_IMAGE_ACTIVATION_BYTES, Long.toString(prepared.imageActivationBytes()));
      return new GradientGraph(m.build(), spec, input, height, width, seeds, prepared.fixedBatch());
    }

    /** The shapes written into the graph: see {@link ShapeAnnotations}. */
    private List<ValueInfoProto> shapeAnnotations(List<NodeProto> forwardNodes, List<ValueInfoProto> inputs,
        List<ValueInfoProto> outputs) {
      Set<String> declared = new HashSet<>();
      prepared.model().getGraph().getInputList().forEach(v -> declared.add(v.getName()));
      inputs.forEach(v -> declared.add(v.getName()));
      outputs.forEach(v -> declared.add(v.getName()));
      ShapeAnnotations annotations = new ShapeAnnotations(prepared.shapes(), forward.inputName(),
          shape(forward.inputName()));
      Set<String> produced = new HashSet<>();
      for (NodeProto n : forwardNodes) {
        for (String t : n.getOutputList()) {
          annotations.annotate(t, t);
          produced.add(t);
        }
      }
      finished.forEach((tensor, gradient) -> {
        if (gradient != null && !prepared.shapes().containsKey(gradient)) {
          annotations.annotate(gradient, tensor);
        }
      });
      declaredShapes.forEach(annotations::declare);
      emitter.nodes().forEach(n -> produced.addAll(n.getOutputList()));
      return annotations.of(produced, declared);
    }

    /**
     * softmax(logits) - q along the class axis: d/dlogits of sum_i CE(logits_i, q_i), with the
     * entries under 2^-64 of the image's largest set to zero. Once an attack has made the model sure
     * of a class, most classes' probabilities are that small; through the classifier's adjoint they
     * become subnormal floats, which x86 cores multiply in microcode: PGD's later steps took three
     * times as long as its first on the Intel machine (bench/README.md, thirtieth session). What the
     * dropped entries add to an input gradient entry is at most classes x 2^-64 of what the largest
     * entry could add: below float32's 2^-24 unless that gradient entry itself nearly cancels.
     */
    private String crossEntropyCotangent(String logits, String target) {
      long[] shape = shape(logits);
      if (shape.length != 2) {
        throw new GraphBuildException("tensor '" + logits + "' has shape " + java.util.Arrays.toString(shape)
            + "; a cross-entropy target needs logits of shape [N, classes]");
      }
      String p = emitter.op("Softmax", List.of(logits), Attributes.of("axis", 1L));
      String cotangent = emitter.op("Sub", List.of(p, target));
      String magnitude = emitter.op("Abs", List.of(cotangent));
      // Each image's largest by a pool over [N, 1, classes]: ReduceMax's signature changed at opset 18.
      String pooled = emitter.op("GlobalMaxPool", List.of(emitter.op("Reshape", List.of(magnitude,
          emitter.longs("shape", 0, 1, -1)))));
      String largest = emitter.op("Reshape", List.of(pooled, emitter.longs("shape", 0, 1)));
      String negligible = emitter.op("Less", List.of(magnitude,
          emitter.op("Mul", List.of(largest, emitter.scalar(0x1p-64f)))));
      return emitter.op("Where", List.of(negligible, emitter.scalar(0f), cotangent));
    }

    private static void addMeta(ModelProto.Builder m, String key, String value) {
      m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
      List<String> out = new ArrayList<>();
      for (List<String> l : lists) {
        out.addAll(l);
      }
      return out;
    }

    /**
     * A rule must send a gradient to every image-dependent float input of its node, or past it to
     * an input of its producer (or further) where it is that tensor's only reader and skips it; an
     * input left without one would make the input gradient silently short.
     */
    private void requireEveryActiveInputReached(NodeProto n) {
      for (String in : n.getInputList()) {
        if (in.isEmpty() || !active.contains(in) || received.contains(in)) {
          continue;
        }
        if (!reachedPast(in, 4)) {
          throw new GraphBuildException(n.getOpType() + " node '" + n.getName() + "': netvis' gradient rule sent nothing"
              + " to input '" + in + "', which depends on the image, so the input gradient would be short; this is"
              + " a gap in netvis, please report it with the model");
        }
      }
    }

    /** Whether a rule that skipped {@code tensor} (its only reader) sent its gradient further up, within {@code depth} nodes. */
    private boolean reachedPast(String tensor, int depth) {
      NodeProto producer = producers.get(tensor);
      if (depth == 0 || producer == null || readers(tensor) != 1) {
        return false;
      }
      for (String in : producer.getInputList()) {
        if (received.contains(in) || (active.contains(in) && reachedPast(in, depth - 1))) {
          return true;
        }
      }
      return false;
    }

    /**
     * A gradient cannot flow back into a double tensor (the rules emit float32), and stopping there
     * would leave the input gradient silently short; so a node that brings an image-dependent double
     * back to float32 on the gradient path is refused by name. Integer and boolean tensors (ArgMax,
     * comparisons) carry no gradient, as in PyTorch.
     */
    private void refuseOtherFloatingPoint(NodeProto n) {
      for (String in : InputDependence.reads(n)) {
        ShapeProbe.Probed p = prepared.shapes().get(in);
        if (p != null && p.isOtherFloatingPoint() && prepared.dependence().dependsOnInput(in)) {
          throw new GraphBuildException(n.getOpType() + " node '" + n.getName() + "' reads '" + in + "', a "
              + p.type().name().toLowerCase() + " tensor that depends on the image, on the gradient path; netvis"
              + " differentiates float32 tensors (float16 and bfloat16 files are widened to float32, double ones"
              + " are not): export the model in float32");
        }
      }
    }

    /** Operators of integer arithmetic on quantized values, whose results a later Cast and Mul scale back. */
    private static final Set<String> INTEGER_ARITHMETIC = Set.of("MatMulInteger", "ConvInteger", "MatMulInteger16",
        "MulInteger", "ReduceSumInteger", "DynamicQuantizeLinear");

    /**
     * Integer products of quantized values (MatMulInteger, ConvInteger: dynamic quantization netvis
     * does not read as such) come back to float through a Cast; their staircase has a zero derivative,
     * so stopping at the Cast would answer with a gradient of zero. A node on the gradient path that
     * reads such a result is refused by name.
     */
    private void refuseIntegerArithmetic(NodeProto n) {
      for (String in : InputDependence.reads(n)) {
        NodeProto producer = producers.get(in);
        if (producer != null && INTEGER_ARITHMETIC.contains(producer.getOpType()) && prepared.dependence().dependsOnInput(in)) {
          throw new GraphBuildException(n.getOpType() + " node '" + n.getName() + "' reads '" + in + "' from "
              + producer.getOpType() + " node '" + producer.getName() + "', integer arithmetic on values quantized from"
              + " the image, on the gradient path; netvis passes gradients through the QDQ and QOperator formats and"
              + " through products of values that a DynamicQuantizeLinear quantizes (ONNX Runtime's quantize_dynamic)");
        }
      }
    }

    /**
     * Sums a tensor's gradient contributions once; null when it has none. With Add rather than Sum:
     * ONNX Runtime runs Sum on one thread and Add on all of them.
     */
    private String finish(String tensor) {
      if (finished.containsKey(tensor)) {
        return finished.get(tensor);
      }
      List<String> terms = new ArrayList<>(contributions.getOrDefault(tensor, List.of()));
      if (parts.containsKey(tensor)) {
        terms.add(parts.get(tensor).join(emitter, shape(tensor)));
      }
      String g = null;
      for (String term : terms) {
        g = g == null ? term : emitter.op("Add", List.of(g, term));
      }
      finished.put(tensor, g);
      return g;
    }

    @Override
    public NodeEmitter emit() {
      return emitter;
    }

    @Override
    public VjpSpec.Backward backward() {
      return spec.backward();
    }

    @Override
    public LrpRules lrpRules() {
      return spec.lrp();
    }

    @Override
    public boolean isActive(String tensor) {
      return active.contains(tensor);
    }

    @Override
    public NodeProto producer(String tensor) {
      return producers.get(tensor);
    }

    @Override
    public int readers(String tensor) {
      return readingNodes.getOrDefault(tensor, List.of()).size() + (readOutside.contains(tensor) ? 1 : 0);
    }

    /**
     * The node that writes gradient {@code g} to the graph output {@code name}: an Identity, except
     * where {@code g} comes from a node that only relabels its input. ONNX Runtime then copies it into
     * the output on one thread (ViT's patch adjoint ends in a Reshape: 2.3 ms, 5% of its VJP kernel
     * time at batch 32), so a Mul by a row of ones, exact for every float, writes it on every thread.
     * A single 1 would not do: ONNX Runtime drops a Mul by a one-element 1 and the copy comes back.
     */
    private NodeProto outputNode(String g, String name, long[] shape) {
      String op = "Identity";
      List<String> inputs = List.of(g);
      long width = shape.length == 0 ? 0 : shape[shape.length - 1];
      boolean relabelled = emitter.nodes().stream()
          .anyMatch(n -> n.getOutputList().contains(g) && RELABELLING_OPS.contains(n.getOpType()));
      if (relabelled && width > 1) {
        op = "Mul";
        inputs = List.of(g, emitter.ones("output_row_ones", new long[] {width}));
      }
      return NodeProto.newBuilder().setOpType(op).setName(emitter.fresh("grad_output")).addAllInput(inputs)
          .addOutput(name).build();
    }

    @Override
    public boolean batchRows(String tensor) {
      if (tensor.equals(forward.inputName())) {
        return !prepared.fixedBatch();
      }
      ShapeProbe.Probed p = prepared.shapes().get(tensor);
      return p != null && p.shape().length > 0 && p.isBatchAxis(0)
          && java.util.Arrays.stream(p.shape()).skip(1).allMatch(d -> d >= 0);
    }

    @Override
    public long[] shape(String tensor) {
      if (tensor.equals(forward.inputName())) {
        return new long[] {prepared.fixedBatch() ? forward.inputShape()[0] : -1, forward.inputShape()[1], height, width};
      }
      ShapeProbe.Probed p = prepared.shapes().get(tensor);
      if (p != null) {
        return p.shape();
      }
      TensorProto c = constants.get(tensor);
      if (c != null) {
        return TensorProtos.shape(c);
      }
      throw new GraphBuildException("no shape known for tensor '" + tensor + "'");
    }

    /** Remembered by the builder from one build to the next ({@link DerivedConstants}). */
    @Override
    public TensorProto derived(String kind, TensorProto source, java.util.function.UnaryOperator<TensorProto> derive) {
      return derived.of(kind, source, derive);
    }

    @Override
    public boolean inDataFile(TensorProto constant) {
      return forward.dataFiles().holds(constant);
    }

    @Override
    public boolean isBoolean(String tensor) {
      TensorProto c = constants.get(tensor);
      if (c != null) {
        return c.getDataType() == TensorProto.DataType.BOOL_VALUE;
      }
      ShapeProbe.Probed p = prepared.shapes().get(tensor);
      return p != null && p.type() == ai.onnxruntime.OnnxJavaType.BOOL;
    }

    /**
     * Initializers and Constant outputs, and every tensor that does not depend on the image: its
     * value at the fixed input size was seen by the probe (shape arithmetic, shared weights behind
     * Identity, masks).
     */
    @Override
    public TensorProto constant(String tensor) {
      TensorProto c = constants.get(tensor);
      if (c != null || prepared.dependence().dependsOnInput(tensor)) {
        return c;
      }
      ShapeProbe.Probed p = prepared.shapes().get(tensor);
      return p == null ? null : p.value();
    }

    @Override
    public void premasked(String reluOutput) {
      if (readers(reluOutput) != 1) {
        throw new IllegalStateException("'" + reluOutput + "' has " + readers(reluOutput) + " readers; only a sole"
            + " reader may mask its gradient for it");
      }
      premasked.add(reluOutput);
    }

    @Override
    public boolean isPremasked(String reluOutput) {
      return premasked.contains(reluOutput);
    }

    @Override
    public void recomputed(NodeProto node) {
      recomputed.add(node);
    }

    @Override
    public void declareShape(String tensor, long[] shape) {
      declaredShapes.put(tensor, shape.clone());
    }

    @Override
    public void accumulate(String tensor, String gradient) {
      if (!active.contains(tensor)) {
        return;
      }
      if (finished.containsKey(tensor)) {
        throw new IllegalStateException("gradient of '" + tensor + "' received after it was summed");
      }
      contributions.computeIfAbsent(tensor, k -> new ArrayList<>()).add(gradient);
      received.add(tensor);
    }

    @Override
    public void zeroGradient(String tensor) {
      received.add(tensor);
    }

    @Override
    public void accumulatePart(String tensor, String gradient, int axis, long start, long length) {
      if (acceptsPart(tensor)) {
        parts.computeIfAbsent(tensor, k -> new GradientParts()).add(new GradientParts.Part(gradient, axis, start, length));
      }
    }

    @Override
    public void accumulateStrided(String tensor, String gradient, long[] starts, long[] steps, long[] counts,
        java.util.function.Supplier<String> full) {
      if (acceptsPart(tensor)) {
        parts.computeIfAbsent(tensor, k -> new GradientParts())
            .add(new GradientParts.Strided(gradient, starts, steps, counts, full));
      }
    }

    private boolean acceptsPart(String tensor) {
      if (!active.contains(tensor)) {
        return false;
      }
      if (finished.containsKey(tensor)) {
        throw new IllegalStateException("gradient of '" + tensor + "' received after it was summed");
      }
      received.add(tensor);
      return true;
    }

    private static TensorProto constantValue(NodeProto n) {
      for (AttributeProto a : n.getAttributeList()) {
        switch (a.getName()) {
          case "value":
            return a.getT();
          case "value_float":
            return TensorProtos.floats("", new long[0], new float[] {a.getF()});
          case "value_floats": {
            float[] f = new float[a.getFloatsCount()];
            for (int i = 0; i < f.length; i++) {
              f[i] = a.getFloats(i);
            }
            return TensorProtos.floats("", new long[] {f.length}, f);
          }
          case "value_int":
            return TensorProtos.longs("", new long[0], new long[] {a.getI()});
          case "value_ints":
            return TensorProtos.longs("", new long[] {a.getIntsCount()},
                a.getIntsList().stream().mapToLong(Long::longValue).toArray());
          default:
            break;
        }
      }
      return null;
    }
  }
}

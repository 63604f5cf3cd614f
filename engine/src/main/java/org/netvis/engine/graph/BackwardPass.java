package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One reverse-mode pass over a graph that {@link GradientGraphBuilder} prepared: walks its nodes from
 * the last to the first, lets each operator's {@link NodeGradient} emit its input gradients, sums
 * where a tensor feeds several nodes, and assembles the gradient graph with its inputs, outputs and
 * metadata. The rules see it as their {@link BackwardContext}.
 */
final class BackwardPass implements BackwardContext {
  /** Operators whose output is their input under another shape, which ONNX Runtime may alias. */
  private static final Set<String> RELABELLING_OPS = Set.of("Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze");

  private final GradientGraphBuilder.Prepared prepared;
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

  BackwardPass(GradientGraphBuilder.Prepared prepared, ModelGraph forward, VjpSpec spec, long height, long width,
      String forwardSha256, DerivedConstants derived) {
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
      extraInputs.add(GradientGraphBuilder.floatValue(in, shape(seed)));
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
        outputs.add(GradientGraphBuilder.floatValue(t, shape(t)));
      }
    }
    for (String t : gradientsOf) {
      String g = finish(t);
      if (g == null) {
        g = emitter.zerosLike(t);
      }
      String name = VjpSpec.gradientName(t);
      emitter.add(outputNode(g, name, shape(t)));
      outputs.add(GradientGraphBuilder.floatValue(name, shape(t)));
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

package org.netvis.engine.runtime;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.netvis.engine.graph.FromLayerGraph;
import org.netvis.engine.graph.GradientGraph;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.LrnWindowSums;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one classifier and its derived gradient graphs on ONNX Runtime (through {@link OrtSessions},
 * which opens, runs and times the sessions). Sessions are created once and reused; gradient graphs
 * are derived (or loaded from their companion file) per input size and spec on first use. Tensors
 * are float32 NCHW in the model's normalized input space.
 *
 * <p>Thread-safe: ONNX Runtime sessions may be run concurrently.
 */
public final class Engine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

  private final ResolvedModel model;
  private final ModelGraph graph;
  private final EngineOptions options;
  private final String provider;
  private final OrtSession forward;
  private final long defaultHeight;
  private final long defaultWidth;
  private final long recomputedLrns;
  private final GradientGraphBuilder builder;
  private final CompanionGraphs companions;
  private final IdleClosingCache<GradientSession> gradientSessions = new IdleClosingCache<>(GradientSession::close);
  private final OrtSessions sessions;
  private final CutGraphs cutGraphs;

  private Engine(ResolvedModel model, ModelGraph graph, byte[] modelBytes, EngineOptions options,
      OrtSessions.Clock clock, GradientGraphBuilder builder) throws OrtException {
    this.model = model;
    this.builder = builder;
    this.graph = graph;
    this.options = options;
    this.companions = new CompanionGraphs(options.companionCache(), builder);
    long[] in = graph.inputShape();
    long size = model.preprocessing().crop();
    this.defaultHeight = in[2] > 0 ? in[2] : size;
    this.defaultWidth = in[3] > 0 ? in[3] : size;
    this.sessions = new OrtSessions(options, clock, graph.dataFiles());
    ModelProto runs = forwardModel(graph, defaultHeight, defaultWidth);
    this.recomputedLrns = LrnWindowSums.count(graph.proto()) - LrnWindowSums.count(runs);
    OrtSessions.Opened opened = sessions.open(runs == graph.proto() ? modelBytes : graph.serialize(runs));
    this.forward = opened.session();
    this.provider = opened.provider();
    this.cutGraphs = new CutGraphs(graph, builder, sessions);
  }

  /**
   * The model with its LRN nodes recomputed from their window sums, which ONNX Runtime runs in about a
   * quarter of its LRN kernel's time (bench/README.md, eighteenth session); the model as written where it has
   * none, or where its shapes cannot be probed.
   */
  private ModelProto forwardModel(ModelGraph graph, long height, long width) {
    try {
      return builder.forwardModel(graph, height, width);
    } catch (RuntimeException e) {
      LOG.warn("{}: running its LRN nodes with ONNX Runtime's kernel; probing the model's shapes failed: {}",
          model.path(), e.getMessage());
      return graph.proto();
    }
  }

  /**
   * The model's manifest record: its provenance (id, path, digests), input layout, and what netvis
   * read into or changed in the file to run it (the graph's notes), for the run and Spark manifests.
   */
  public Map<String, Object> modelRecord() {
    Map<String, Object> record = model.provenance();
    record.put("input_layout", graph.layout().name());
    record.putAll(graph.notes());
    return record;
  }

  /**
   * How the forward pass runs the model: "as written", or how many of its LRN nodes are recomputed
   * from their window sums (the run manifest's {@code runtime.forward_pass}).
   */
  public String forwardPass() {
    List<String> changes = new java.util.ArrayList<>();
    if (recomputedLrns > 0) {
      changes.add("LRN recomputed from its window sums (" + recomputedLrns + " nodes)");
    }
    if (graph.note("fused") != null) {
      changes.add("ONNX Runtime's fused com.microsoft operators as their definitions in ONNX operators");
    }
    if (graph.note("quantization") != null) {
      changes.add(options.integerKernels() ? "quantized groups on ONNX Runtime's integer kernels"
          + " (NETVIS_ORT_INTEGER_KERNELS=1)" : "quantized operators as their definition, dequantize -> float32"
          + " operator -> quantize, not ONNX Runtime's integer kernels");
    }
    return changes.isEmpty() ? "as written" : String.join("; ", changes);
  }

  /**
   * "all", or which failure of ONNX Runtime's extended graph optimizations made some of this engine's
   * graphs run with its basic ones (the run manifest's {@code runtime.graph_optimizations}).
   */
  public String graphOptimizations() {
    Set<String> failures = sessions.optimizationFallbacks();
    return failures.isEmpty() ? "all" : "basic where the extended ones failed: " + String.join("; ", failures);
  }

  /** Opens the model; the gradient graph is derived lazily on the first {@link #vjp} call. */
  public static Engine open(ResolvedModel model, EngineOptions options) throws IOException {
    byte[] bytes = Files.readAllBytes(model.path());
    ModelGraph graph = ModelGraph.parse(bytes, model.path(), model.descriptor().inputLayout(),
        model.descriptor().output());
    if (!graph.externalData().isEmpty()) {
      model = model.withExternalData(externalDataDigests(model.path(), graph.externalData()));
    }
    try {
      // A channels-last model runs with the Transpose netvis put in front of it, a model ending in
      // Softmax without it, a 16-bit one widened to float32.
      return new Engine(model, graph, graph.asWritten() ? bytes : graph.serialize(graph.proto()), options,
          new OrtSessions.Clock(), new GradientGraphBuilder());
    } catch (OrtException e) {
      throw new EngineException(model.path() + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
    }
  }

  /** Each external data file's sha256 (remembered while the file is unchanged), by its path beside the model. */
  private static Map<String, String> externalDataDigests(Path modelFile, List<Path> files) throws IOException {
    Path dir = modelFile.toAbsolutePath().normalize().getParent();
    Map<String, String> digests = new LinkedHashMap<>();
    for (Path f : files) {
      digests.put(dir.relativize(f).toString(), org.netvis.engine.model.FileDigests.standard().sha256(f));
    }
    return digests;
  }

  /**
   * Opens a copy of this engine's model held in memory ({@link #graph()}'s proto with other weights:
   * the sanity check's copies with redrawn layers), under this engine's options. Its time in ONNX
   * Runtime counts in this engine's {@link #onnxRuntimeNanos} and {@link #sessionLoadNanos}, so a
   * step that runs a variant has that time in its record. Nothing is read or written: its gradient
   * graphs are derived in memory (no companion files, as for {@link EngineOptions#withoutCompanionFiles}),
   * with this engine's builder, so a variant that differs only in weights takes the shapes the builder
   * last probed instead of running its forward pass to probe them again. Its {@link #model()} is
   * named {@code name} (its path names it, no file) and carries the sha256 of the variant's bytes (for
   * a model with data files, of the bytes that refer to them for the weights it shares with this one).
   */
  public Engine openVariant(String name, ModelProto variant) {
    byte[] bytes = graph.serialize(variant);
    ResolvedModel resolved = new ResolvedModel(ModelDescriptor.forFile(name, model.preprocessing()), Path.of(name),
        Sha256.of(bytes), model.classNames());
    // The proto is already channels-first with the scores as its output: this engine's graph's.
    ModelGraph variantGraph = graph.withProto(variant, name);
    try {
      return new Engine(resolved, variantGraph, bytes, options.withoutCompanionFiles(), sessions.clock(), builder);
    } catch (OrtException e) {
      throw new EngineException(name + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
    }
  }

  public ResolvedModel model() {
    return model;
  }

  public ModelGraph graph() {
    return graph;
  }

  /** "CUDAExecutionProvider" or "CPUExecutionProvider". */
  public String executionProvider() {
    return provider;
  }

  public EngineOptions options() {
    return options;
  }

  public long inputHeight() {
    return defaultHeight;
  }

  public long inputWidth() {
    return defaultWidth;
  }

  public long channels() {
    return graph.inputShape()[1];
  }

  private volatile long classes = -1;

  /** The number of classes: from the graph, or once from a forward pass when the file leaves it symbolic. */
  public long classes() {
    if (classes < 0) {
      long declared = graph.classes();
      classes = declared > 0 ? declared
          : scores(Tensor.zeros(graph.fixedBatch() ? graph.inputShape()[0] : 1, channels(), defaultHeight, defaultWidth)).dim(1);
    }
    return classes;
  }

  /** Raw class scores (logits) of a batch. */
  public Tensor scores(Tensor batch) {
    checkInput(batch);
    try {
      // In parts of the gradient batch: per image a forward pass on the CPU is as fast in parts as
      // whole, and ONNX Runtime keeps a session's memory at its largest run until the session closes,
      // the forward pass's at the end of the run (deletion/insertion's batches of 64: 1.9-2.4 GB;
      // bench/README.md, fifty-third session).
      int part = graph.fixedBatch() ? (int) graph.inputShape()[0] : gradientBatch();
      return sessions.runInParts(forward, Map.of(graph.inputName(), batch), List.of(graph.outputName()), part)
          .get(graph.outputName());
    } catch (OrtException e) {
      throw new EngineException("forward pass failed on " + batch + ": " + e.getMessage(), e);
    }
  }

  /** Logits and the gradient of sum(cotangent * logits) with respect to the input, in one call. */
  public VjpResult vjp(Tensor batch, Tensor cotangent) {
    return vjp(batch, cotangent, null);
  }

  /**
   * {@link #vjp(Tensor, Tensor)}, writing over the arrays of {@code reuse} (an earlier result the
   * caller no longer reads, or null) where their shapes equal this call's: what an iterative
   * technique calls once per step, so that no step allocates its gradient afresh.
   */
  public VjpResult vjp(Tensor batch, Tensor cotangent, VjpResult reuse) {
    if (cotangent.rank() != 2 || cotangent.dim(0) != batch.dim(0)) {
      throw new EngineException("cotangent " + cotangent + " does not fit logits of batch " + batch.dim(0)
          + "; expected shape [" + batch.dim(0) + ", classes]");
    }
    return logitsVjp(batch, VjpSpec.DEFAULT, cotangent, reuse);
  }

  /**
   * Logits and the gradient of the summed cross-entropy sum_i CE(logits_i, targets_i) with respect
   * to the input, in one call: the gradient graph forms the cotangent softmax(logits) - targets
   * itself (in float32, as PyTorch's cross-entropy does), so no forward pass has to read the logits
   * first. {@code targets} holds a distribution over the classes per image, one-hot for labels.
   */
  public VjpResult crossEntropyVjp(Tensor batch, Tensor targets) {
    return crossEntropyVjp(batch, targets, null);
  }

  /** {@link #crossEntropyVjp(Tensor, Tensor)}, writing over {@code reuse} as {@link #vjp(Tensor, Tensor, VjpResult)} does. */
  public VjpResult crossEntropyVjp(Tensor batch, Tensor targets, VjpResult reuse) {
    if (targets.rank() != 2 || targets.dim(0) != batch.dim(0) || targets.dim(1) != classes()) {
      throw new EngineException("cross-entropy targets " + targets + " do not fit logits of batch " + batch.dim(0)
          + "; expected shape [" + batch.dim(0) + ", " + classes() + "]");
    }
    return logitsVjp(batch, VjpSpec.DEFAULT.withCrossEntropyTargets(), targets, reuse);
  }

  /** The logits and input gradient of a spec seeded at the logits, given its per-image seed input. */
  private VjpResult logitsVjp(Tensor batch, VjpSpec spec, Tensor seedInput, VjpResult reuse) {
    GradientSession gs = gradientSession(spec, batch.dim(2), batch.dim(3));
    String seed = gs.graph().seeds().get(0);
    String gradient = VjpSpec.gradientName(gs.graph().inputName());
    Map<String, Tensor> reused = new HashMap<>();
    if (reuse != null) {
      reused.put(seed, reuse.logits());
      reused.put(gradient, reuse.inputGradient());
    }
    Map<String, Tensor> out = vjp(batch, spec, Map.of(seed, seedInput), reused);
    return new VjpResult(out.get(seed), out.get(gradient));
  }

  /**
   * The general form: cotangents (or the spec's cross-entropy targets) for its seeds in, by seed
   * name, and each shifted tensor's shift under {@link VjpSpec#shiftName}; every
   * output of the gradient graph out (seed values, requested forward tensors, and
   * {@link VjpSpec#gradientName gradients}).
   */
  public Map<String, Tensor> vjp(Tensor batch, VjpSpec spec, Map<String, Tensor> cotangents) {
    return vjp(batch, spec, cotangents, Map.of());
  }

  /**
   * {@link #vjp(Tensor, VjpSpec, Map)}, writing over the tensors of {@code reuse} (outputs of an
   * earlier call the caller no longer reads, by name) where this call's output has their shape: the
   * input gradient's (the batch's), each seed value's (its cotangent's or targets'), and, once a run
   * of the graph has shown them, those of its other batch-first outputs (a layer's values and
   * gradient). The returned map then holds those same tensors; every other output is a fresh array.
   */
  public Map<String, Tensor> vjp(Tensor batch, VjpSpec spec, Map<String, Tensor> cotangents,
      Map<String, Tensor> reuse) {
    checkInput(batch);
    GradientSession gs = gradientSession(spec, batch.dim(2), batch.dim(3));
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    inputs.put(gs.graph().inputName(), batch);
    for (String seed : gs.graph().seeds()) {
      Tensor ct = cotangents.get(seed);
      if (ct == null) {
        throw new EngineException("no cotangent given for seed tensor '" + seed + "'");
      }
      inputs.put(spec.seedInputName(seed), ct);
    }
    for (String shifted : spec.shifts()) {
      Tensor shift = cotangents.get(VjpSpec.shiftName(shifted));
      if (shift == null) {
        throw new EngineException("no shift given for tensor '" + shifted + "' (expected it under '"
            + VjpSpec.shiftName(shifted) + "')");
      }
      inputs.put(VjpSpec.shiftName(shifted), shift);
    }
    try {
      int n = (int) batch.dim(0);
      int part = gs.graph().fixedBatch() ? 1 : gradientBatch(gs.graph());
      if (spec.pairedRows()) {
        if (n % 2 != 0) {
          throw new EngineException("a gradient graph over (input, reference) pairs takes an even batch, got " + n);
        }
        // Parts keep each pair together.
        part = part == 0 ? 0 : Math.max(2, part - part % 2);
      }
      // Seeds at internal tensors may fold the batch into another axis: such inputs run whole.
      boolean batchFirst = inputs.values().stream().allMatch(t -> t.dim(0) == n);
      Map<String, long[]> known = batchFirst ? knownShapes(gs, batch, inputs, spec) : Map.of();
      Map<String, Tensor> into = reusable(reuse, known);
      Map<String, Tensor> out = part > 0 && n > part && batchFirst ? runInParts(gs, inputs, n, part, known, into)
          : sessions.run(batchFirst ? gs.forBatch(n) : gs.anyBatch(), inputs, gs.outputNames(), into, 0,
              OrtSessions.WHOLE);
      if (batchFirst) {
        gs.learnShapes(out, n);
      }
      return out;
    } catch (OrtException e) {
      throw new EngineException("gradient pass failed on " + batch + ": " + e.getMessage(), e);
    }
  }

  /**
   * Images per gradient-graph run, and per forward pass of {@link #scores} (see
   * {@link EngineOptions#gradientBatch}); 0 = the whole batch.
   * Automatic on the CPU: {@link EngineOptions#CPU_GRADIENT_BATCH}, or fewer once a gradient graph
   * has run whose forward tensors for that many images would not fit the machine's memory.
   */
  public int gradientBatch() {
    if (options.gradientBatch() != EngineOptions.AUTOMATIC_GRADIENT_BATCH) {
      return options.gradientBatch();
    }
    return provider.startsWith("CUDA") ? 0 : Math.min(EngineOptions.CPU_GRADIENT_BATCH, memoryBoundBatch);
  }

  /** The fewest images per run that the machine's memory allowed a gradient graph run so far. */
  private volatile int memoryBoundBatch = Integer.MAX_VALUE;

  /**
   * {@link #gradientBatch()} for a run of {@code graph}: automatic on the CPU, no more images than keep
   * {@link EngineOptions#MEMORY_SHARE} of the machine's memory in forward tensors
   * ({@link GradientGraph#imageActivationBytes}), and at least one.
   */
  private int gradientBatch(GradientGraph graph) {
    int batch = gradientBatch();
    long perImage = graph.imageActivationBytes();
    if (batch == 0 || perImage <= 0 || options.gradientBatch() != EngineOptions.AUTOMATIC_GRADIENT_BATCH) {
      return batch;
    }
    long budget = (long) (MachineMemory.total() * EngineOptions.MEMORY_SHARE);
    int fits = (int) Math.max(1, Math.min(batch, budget / perImage));
    if (fits < batch) {
      synchronized (this) {
        if (fits < memoryBoundBatch) {
          memoryBoundBatch = fits;
          LOG.info("gradient runs of {} images at most: one image's forward tensors take {} MB, and a run may take"
              + " {} MB ({} of this machine's memory; NETVIS_GRADIENT_BATCH sets the batch)", fits,
              perImage >> 20, budget >> 20, EngineOptions.MEMORY_SHARE);
        }
      }
    }
    return fits;
  }

  /**
   * How many images a caller that builds its batches itself (integrated gradients' path points, the
   * noise tunnel's copies) should hand over per call: at most {@code limit}, and at most
   * {@link #gradientBatch()} where the engine runs parts, so that no call is sliced into parts and
   * joined again (copies of every image, on one thread).
   */
  public int gradientCallSize(int limit) {
    int part = gradientBatch();
    return part > 0 ? Math.min(limit, part) : limit;
  }

  /** The tensors of {@code reuse} whose shapes are those this call's outputs will have, by output name. */
  private static Map<String, Tensor> reusable(Map<String, Tensor> reuse, Map<String, long[]> known) {
    if (reuse == null || reuse.isEmpty()) {
      return Map.of();
    }
    Map<String, Tensor> into = new HashMap<>();
    known.forEach((name, shape) -> {
      Tensor t = reuse.get(name);
      if (t != null && java.util.Arrays.equals(t.shape(), shape)) {
        into.put(name, t);
      }
    });
    return into;
  }

  /**
   * The outputs whose shapes are known before a run: the input gradient's (the batch's), each seed
   * value's (its cotangent's, or its cross-entropy targets'), and each batch-first output's that an
   * earlier run of the graph has shown ({@link GradientSession#learnShapes}).
   */
  private static Map<String, long[]> knownShapes(GradientSession gs, Tensor batch, Map<String, Tensor> inputs,
      VjpSpec spec) {
    Map<String, long[]> known = new HashMap<>();
    for (String name : gs.outputNames()) {
      long[] shape = gs.outputShape(name, batch.dim(0));
      if (shape != null) {
        known.put(name, shape);
      }
    }
    known.put(VjpSpec.gradientName(gs.graph().inputName()), batch.shape());
    for (String seed : gs.graph().seeds()) {
      Tensor given = inputs.get(spec.seedInputName(seed));
      if (given != null && gs.outputNames().contains(seed)) {
        known.put(seed, given.shape());
      }
    }
    return known;
  }

  /**
   * Runs a batch of n > part images in parts of {@code part} (at least two), each read from the
   * inputs in place; the outputs of known shape are written part by part into one tensor each (those
   * of {@code into}, or fresh ones), the others joined in order.
   */
  private Map<String, Tensor> runInParts(GradientSession gs, Map<String, Tensor> inputs, int n, int part,
      Map<String, long[]> known, Map<String, Tensor> into) throws OrtException {
    Map<String, Tensor> whole = new HashMap<>(into);
    known.forEach((name, shape) -> whole.computeIfAbsent(name, k -> Tensor.zeros(shape)));
    Map<String, List<Tensor>> parts = new HashMap<>();
    for (int start = 0; start < n; start += part) {
      int count = Math.min(n, start + part) - start;
      for (Map.Entry<String, Tensor> e
          : sessions.run(gs.forBatch(count), inputs, gs.outputNames(), whole, start, count).entrySet()) {
        if (!whole.containsKey(e.getKey())) {
          parts.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
        }
      }
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (String name : gs.outputNames()) {
      out.put(name, whole.containsKey(name) ? whole.get(name) : Tensor.concat(parts.get(name)));
    }
    return out;
  }

  /**
   * A forward pass that also returns internal tensors, by name (see {@link #layers}); the logits
   * come back under the model's output name. One session per set of tensors and input size.
   */
  public Map<String, Tensor> activations(Tensor batch, List<String> tensors) {
    checkInput(batch);
    return cutGraphs.values(batch, tensors, true);
  }

  /**
   * The named internal tensors alone, from the part of the model they are computed from (the layers
   * above them do not run): what methods that read a layer's values and not the scores take.
   */
  public Map<String, Tensor> layerValues(Tensor batch, List<String> tensors) {
    checkInput(batch);
    return cutGraphs.values(batch, tensors, false);
  }

  /**
   * One unit of an internal tensor per image, [N, 1]: the value at {@code offset} in each image's part
   * of {@code tensor} (row-major, the batch its first axis), from the part of the model it is computed
   * from, without copying the rest of the tensor out of ONNX Runtime.
   */
  public Tensor unitValues(Tensor batch, String tensor, long offset) {
    checkInput(batch);
    return cutGraphs.unit(batch, tensor, offset);
  }

  /**
   * The logits with the tensor {@code layer} (a name {@link #layers} lists) set to {@code values}, as a
   * forward hook that replaces a layer's output sets it: row k of {@code values} goes with image
   * {@code imageOfRow[k]} of {@code images}, which the rest of the model reads where a path from the
   * image passes around the layer. Only the model from the layer up runs ({@link FromLayerGraph}).
   */
  public Tensor scoresFromLayer(Tensor images, int[] imageOfRow, String layer, Tensor values) {
    checkInput(images);
    if (imageOfRow.length != values.dim(0)) {
      throw new EngineException(values.dim(0) + " rows of values for '" + layer + "' but " + imageOfRow.length
          + " image indices; expected one per row");
    }
    return cutGraphs.scoresFrom(images, imageOfRow, layer, values);
  }

  private volatile List<GradientGraphBuilder.LayerTensor> layers;

  /**
   * Every tensor on the gradient path at the model's input size (what {@code netvis layers} lists):
   * the names Grad-CAM layers and feature-visualization units take. Computed once.
   */
  public List<GradientGraphBuilder.LayerTensor> layers() {
    if (layers == null) {
      layers = List.copyOf(builder.gradientPath(graph, defaultHeight, defaultWidth));
    }
    return layers;
  }

  /**
   * Nanoseconds spent inside ONNX Runtime's {@code run} so far, all sessions and threads together:
   * against a technique's wall time, what it spends outside the runtime (copies, its own arithmetic).
   */
  public long onnxRuntimeNanos() {
    return sessions.runNanos();
  }

  /**
   * Nanoseconds ONNX Runtime spent loading sessions so far (parsing, optimizing and laying out a
   * graph, once per graph and input size): its work too, not netvis', though not in a run.
   */
  public long sessionLoadNanos() {
    return sessions.loadNanos();
  }

  /** Looks up tensors by name on the gradient path, with the nearest names when one is missing. */
  public org.netvis.engine.graph.LayerLookup layerLookup() {
    java.util.Set<String> all = new java.util.HashSet<>();
    graph.proto().getGraph().getNodeList().forEach(n -> all.addAll(n.getOutputList()));
    return new org.netvis.engine.graph.LayerLookup(model.id(), layers(), all);
  }

  /** The companion gradient graph used for inputs of the given spatial size (derived if needed). */
  public CompanionGraphs.Companion gradientGraph(VjpSpec spec, long height, long width) {
    return gradientSession(spec, height, width).companion();
  }

  /**
   * Whether each batch size runs a gradient session loaded with the batch fixed at that size (see
   * {@link GradientSession}): when the options ask for it, on the CPU, where batches run in parts (so
   * that there are at most that many sizes). Not on a GPU: ONNX Runtime's blocked layout, the reason
   * for them, is the CPU's.
   */
  public boolean fixedBatchSessions() {
    return !provider.startsWith("CUDA") && gradientBatch() > 0 && options.fixedBatchSessions();
  }

  /** Batch sizes that have had a gradient session of their own for this spec and size, ascending. */
  List<Long> fixedBatchSizes(VjpSpec spec, long height, long width) {
    return gradientSession(spec, height, width).fixedBatchSizes();
  }

  private synchronized GradientSession gradientSession(VjpSpec spec, long h, long w) {
    return gradientSessions.get(spec.key() + "@" + h + "x" + w, () -> {
      try {
        boolean defaultSize = h == defaultHeight && w == defaultWidth;
        CompanionGraphs.Companion c = companions.obtain(model.path(), model.weightsSha256(), graph, spec, h, w, defaultSize);
        return new GradientSession(c, sessions, fixedBatchSessions());
      } catch (IOException e) {
        throw new EngineException("cannot read or write the gradient graph of " + model.path() + ": " + e.getMessage(), e);
      }
    });
  }

  /**
   * Closes the gradient, activation and cut-graph sessions no run has used since the previous call
   * (the forward pass's stays open), and returns how many it closed. ONNX Runtime keeps each
   * session's memory at its largest run until it closes, so an experiment calls this after each
   * step: a step's layer, neuron and fixed-batch graphs then hold memory through the next step, not
   * to the end of the run. Call it only while no run is in flight.
   */
  public synchronized int closeIdleSessions() {
    return gradientSessions.closeIdle() + cutGraphs.closeIdle();
  }

  private void checkInput(Tensor batch) {
    long c = graph.inputShape()[1];
    if (batch.rank() != 4 || batch.dim(1) != c) {
      throw new EngineException("input " + batch + " does not fit model input '" + graph.inputName()
          + "'; expected float32 [N, " + c + ", H, W]");
    }
    long[] in = graph.inputShape();
    if ((in[2] > 0 && batch.dim(2) != in[2]) || (in[3] > 0 && batch.dim(3) != in[3])) {
      throw new EngineException("input " + batch + " has spatial size " + batch.dim(2) + "x" + batch.dim(3)
          + "; the model fixes it to " + in[2] + "x" + in[3]);
    }
  }

  @Override
  public synchronized void close() {
    gradientSessions.closeAll();
    cutGraphs.close();
    OrtSessions.closeQuietly(forward);
  }

}

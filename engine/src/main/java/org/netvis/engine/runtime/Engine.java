package org.netvis.engine.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.graph.GradientGraph;
import org.netvis.engine.graph.InputLayout;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one classifier and its derived gradient graphs on ONNX Runtime. Sessions are created once
 * and reused; gradient graphs are derived (or loaded from their companion file) per input size and
 * spec on first use. Tensors are float32 NCHW in the model's normalized input space.
 *
 * <p>Thread-safe: ONNX Runtime sessions may be run concurrently.
 */
public final class Engine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
  private static volatile boolean cudaFallbackLogged;

  private final ResolvedModel model;
  private final ModelGraph graph;
  private final EngineOptions options;
  private final OrtEnvironment env = OrtEnvironments.get();
  private final String provider;
  private final OrtSession forward;
  private final long defaultHeight;
  private final long defaultWidth;
  private final CompanionGraphs companions;
  private final Map<String, GradientSession> gradientSessions = new HashMap<>();
  private final java.util.concurrent.atomic.LongAdder onnxRuntimeNanos = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder sessionLoadNanos = new java.util.concurrent.atomic.LongAdder();

  private Engine(ResolvedModel model, ModelGraph graph, byte[] modelBytes, EngineOptions options) throws OrtException {
    this.model = model;
    this.graph = graph;
    this.options = options;
    this.companions = new CompanionGraphs(options.companionCache());
    long[] in = graph.inputShape();
    long size = model.preprocessing().crop();
    this.defaultHeight = in[2] > 0 ? in[2] : size;
    this.defaultWidth = in[3] > 0 ? in[3] : size;
    String[] chosen = new String[1];
    this.forward = createSession(modelBytes, chosen);
    this.provider = chosen[0];
  }

  /** Opens the model; the gradient graph is derived lazily on the first {@link #vjp} call. */
  public static Engine open(ResolvedModel model, EngineOptions options) throws IOException {
    byte[] bytes = Files.readAllBytes(model.path());
    ModelGraph graph = ModelGraph.parse(bytes, model.path().toString(), model.descriptor().inputLayout());
    try {
      // A channels-last model runs with the Transpose netvis put in front of it, a model ending in
      // Softmax without it.
      boolean asWritten = graph.layout() == InputLayout.NCHW && graph.outputNote() == null;
      return new Engine(model, graph, asWritten ? bytes : graph.proto().toByteArray(), options);
    } catch (OrtException e) {
      throw new EngineException(model.path() + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
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
      long fixed = graph.fixedBatch() ? graph.inputShape()[0] : 0;
      if (fixed > 0 && batch.dim(0) != fixed) {
        List<Tensor> parts = new ArrayList<>();
        for (int i = 0; i < batch.dim(0); i += (int) fixed) {
          parts.add(scores(batch.slice(i, (int) Math.min(batch.dim(0), i + fixed))));
        }
        return Tensor.concat(parts);
      }
      return run(forward, Map.of(graph.inputName(), batch), List.of(graph.outputName())).get(graph.outputName());
    } catch (OrtException e) {
      throw new EngineException("forward pass failed on " + batch + ": " + e.getMessage(), e);
    }
  }

  /** Logits and the gradient of sum(cotangent * logits) with respect to the input, in one call. */
  public VjpResult vjp(Tensor batch, Tensor cotangent) {
    if (cotangent.rank() != 2 || cotangent.dim(0) != batch.dim(0)) {
      throw new EngineException("cotangent " + cotangent + " does not fit logits of batch " + batch.dim(0)
          + "; expected shape [" + batch.dim(0) + ", classes]");
    }
    return logitsVjp(batch, VjpSpec.DEFAULT, cotangent);
  }

  /**
   * Logits and the gradient of the summed cross-entropy sum_i CE(logits_i, targets_i) with respect
   * to the input, in one call: the gradient graph forms the cotangent softmax(logits) - targets
   * itself (in float32, as PyTorch's cross-entropy does), so no forward pass has to read the logits
   * first. {@code targets} holds a distribution over the classes per image, one-hot for labels.
   */
  public VjpResult crossEntropyVjp(Tensor batch, Tensor targets) {
    if (targets.rank() != 2 || targets.dim(0) != batch.dim(0) || targets.dim(1) != classes()) {
      throw new EngineException("cross-entropy targets " + targets + " do not fit logits of batch " + batch.dim(0)
          + "; expected shape [" + batch.dim(0) + ", " + classes() + "]");
    }
    return logitsVjp(batch, VjpSpec.DEFAULT.withCrossEntropyTargets(), targets);
  }

  /** The logits and input gradient of a spec seeded at the logits, given its per-image seed input. */
  private VjpResult logitsVjp(Tensor batch, VjpSpec spec, Tensor seedInput) {
    GradientSession gs = gradientSession(spec, batch.dim(2), batch.dim(3));
    String seed = gs.graph().seeds().get(0);
    Map<String, Tensor> out = vjp(batch, spec, Map.of(seed, seedInput));
    return new VjpResult(out.get(seed), out.get(VjpSpec.gradientName(gs.graph().inputName())));
  }

  /**
   * The general form: cotangents (or the spec's cross-entropy targets) for its seeds in, every output of the gradient graph out
   * (seed values, requested forward tensors, and {@link VjpSpec#gradientName gradients}).
   */
  public Map<String, Tensor> vjp(Tensor batch, VjpSpec spec, Map<String, Tensor> cotangents) {
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
    try {
      int n = (int) batch.dim(0);
      int part = gs.graph().fixedBatch() ? 1 : gradientBatch();
      // Seeds at internal tensors may fold the batch into another axis: such inputs run whole.
      boolean batchFirst = inputs.values().stream().allMatch(t -> t.dim(0) == n);
      if (part > 0 && n > part && batchFirst) {
        return runInParts(gs, inputs, n, part);
      }
      return run(gs.session(), inputs, gs.outputNames());
    } catch (OrtException e) {
      throw new EngineException("gradient pass failed on " + batch + ": " + e.getMessage(), e);
    }
  }

  /** Images per gradient-graph run (see {@link EngineOptions#gradientBatch}); 0 = the whole batch. */
  public int gradientBatch() {
    if (options.gradientBatch() != EngineOptions.AUTOMATIC_GRADIENT_BATCH) {
      return options.gradientBatch();
    }
    return provider.startsWith("CUDA") ? 0 : EngineOptions.CPU_GRADIENT_BATCH;
  }

  /** Runs a batch of n > part images in parts of {@code part} (at least two) and joins the results in order. */
  private Map<String, Tensor> runInParts(GradientSession gs, Map<String, Tensor> inputs, int n, int part)
      throws OrtException {
    Map<String, List<Tensor>> parts = new LinkedHashMap<>();
    for (int start = 0; start < n; start += part) {
      int end = Math.min(n, start + part);
      Map<String, Tensor> slice = new LinkedHashMap<>();
      for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
        slice.put(e.getKey(), e.getValue().slice(start, end));
      }
      for (Map.Entry<String, Tensor> e : run(gs.session(), slice, gs.outputNames()).entrySet()) {
        parts.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
      }
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    parts.forEach((k, v) -> out.put(k, Tensor.concat(v)));
    return out;
  }

  private final Map<String, OrtSession> activationSessions = new HashMap<>();

  /**
   * A forward pass that also returns internal tensors, by name (see {@link #layers}); the logits
   * come back under the model's output name. One session per set of tensors and input size.
   */
  public Map<String, Tensor> activations(Tensor batch, List<String> tensors) {
    checkInput(batch);
    OrtSession session = activationSession(tensors, batch.dim(2), batch.dim(3));
    try {
      List<String> outputs = new ArrayList<>(session.getOutputNames());
      if (graph.fixedBatch() && batch.dim(0) != graph.inputShape()[0]) {
        Map<String, List<Tensor>> parts = new LinkedHashMap<>();
        int step = (int) graph.inputShape()[0];
        for (int i = 0; i < batch.dim(0); i += step) {
          Tensor part = batch.slice(i, (int) Math.min(batch.dim(0), i + step));
          run(session, Map.of(graph.inputName(), part), outputs)
              .forEach((k, v) -> parts.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        parts.forEach((k, v) -> out.put(k, Tensor.concat(v)));
        return out;
      }
      return run(session, Map.of(graph.inputName(), batch), outputs);
    } catch (OrtException e) {
      throw new EngineException("forward pass for " + tensors + " failed on " + batch + ": " + e.getMessage(), e);
    }
  }

  private synchronized OrtSession activationSession(List<String> tensors, long h, long w) {
    String key = String.join(",", tensors) + "@" + h + "x" + w;
    OrtSession session = activationSessions.get(key);
    if (session == null) {
      try {
        session = createSession(new org.netvis.engine.graph.GradientGraphBuilder()
            .activationGraph(graph, tensors, h, w).toByteArray(), new String[1]);
      } catch (OrtException e) {
        throw new EngineException("ONNX Runtime cannot load the forward graph with outputs " + tensors + ": "
            + e.getMessage(), e);
      }
      activationSessions.put(key, session);
    }
    return session;
  }

  private volatile List<org.netvis.engine.graph.GradientGraphBuilder.LayerTensor> layers;

  /**
   * Every tensor on the gradient path at the model's input size (what {@code netvis layers} lists):
   * the names Grad-CAM layers and feature-visualization units take. Computed once.
   */
  public List<org.netvis.engine.graph.GradientGraphBuilder.LayerTensor> layers() {
    if (layers == null) {
      layers = List.copyOf(new org.netvis.engine.graph.GradientGraphBuilder().gradientPath(graph, defaultHeight, defaultWidth));
    }
    return layers;
  }

  /**
   * Nanoseconds spent inside ONNX Runtime's {@code run} so far, all sessions and threads together:
   * against a technique's wall time, what it spends outside the runtime (copies, its own arithmetic).
   */
  public long onnxRuntimeNanos() {
    return onnxRuntimeNanos.sum();
  }

  /**
   * Nanoseconds ONNX Runtime spent loading sessions so far (parsing, optimizing and laying out a
   * graph, once per graph and input size): its work too, not netvis', though not in a run.
   */
  public long sessionLoadNanos() {
    return sessionLoadNanos.sum();
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

  private record GradientSession(CompanionGraphs.Companion companion, OrtSession session, List<String> outputNames) {
    GradientGraph graph() {
      return companion.graph();
    }
  }

  private synchronized GradientSession gradientSession(VjpSpec spec, long h, long w) {
    String key = spec.key() + "@" + h + "x" + w;
    GradientSession gs = gradientSessions.get(key);
    if (gs == null) {
      try {
        boolean defaultSize = h == defaultHeight && w == defaultWidth;
        CompanionGraphs.Companion c = companions.obtain(model.path(), model.sha256(), graph, spec, h, w, defaultSize);
        OrtSession session = createSession(c.serialized(), new String[1]);
        gs = new GradientSession(c.withoutBytes(), session, new ArrayList<>(session.getOutputNames()));
        gradientSessions.put(key, gs);
      } catch (IOException e) {
        throw new EngineException("cannot read or write the gradient graph of " + model.path() + ": " + e.getMessage(), e);
      } catch (OrtException e) {
        throw new EngineException("ONNX Runtime cannot load the gradient graph of " + model.path() + ": " + e.getMessage(), e);
      }
    }
    return gs;
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

  private Map<String, Tensor> run(OrtSession session, Map<String, Tensor> inputs, List<String> outputs) throws OrtException {
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
        Tensor t = e.getValue();
        feeds.put(e.getKey(), OnnxTensor.createTensor(env, inputBuffer(e.getKey(), t.data()), t.shape()));
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      long t0 = System.nanoTime();
      try (OrtSession.Result result = session.run(feeds, new java.util.LinkedHashSet<>(outputs))) {
        onnxRuntimeNanos.add(System.nanoTime() - t0);
        for (Map.Entry<String, OnnxValue> e : result) {
          OnnxTensor t = (OnnxTensor) e.getValue();
          // getFloatBuffer() already copies out of native memory into a heap buffer: take its array.
          FloatBuffer buf = t.getFloatBuffer();
          float[] data;
          if (buf.hasArray() && buf.arrayOffset() == 0 && buf.position() == 0 && buf.array().length == buf.remaining()) {
            data = buf.array();
          } else {
            data = new float[buf.remaining()];
            buf.get(data);
          }
          out.put(e.getKey(), new Tensor(t.getInfo().getShape(), data));
        }
      }
      return out;
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  /**
   * A direct buffer in native order holding {@code data}: ONNX Runtime reads a direct buffer in
   * place, where a heap buffer would be copied into a freshly allocated direct one at every call.
   * One buffer per thread, input name and size, reused across calls (iterative techniques call the
   * same shapes hundreds of times).
   */
  private FloatBuffer inputBuffer(String name, float[] data) {
    Map<String, FloatBuffer> mine = inputBuffers.get();
    String key = name + "#" + data.length;
    FloatBuffer b = mine.get(key);
    if (b == null) {
      if (mine.size() > 16) {
        mine.clear(); // many sizes in turn (DeepDream's octaves): keep the cache small
      }
      b = java.nio.ByteBuffer.allocateDirect(data.length * Float.BYTES).order(java.nio.ByteOrder.nativeOrder())
          .asFloatBuffer();
      mine.put(key, b);
    }
    b.clear();
    b.put(data);
    b.flip();
    return b;
  }

  private final ThreadLocal<Map<String, FloatBuffer>> inputBuffers = ThreadLocal.withInitial(HashMap::new);

  private OrtSession createSession(byte[] bytes, String[] chosenProvider) throws OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    try {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (options.intraOpThreads() > 0) {
        so.setIntraOpNumThreads(options.intraOpThreads());
      }
      // Idle intra-op workers spin by default, taking cores from the JVM work between runs (the
      // techniques' arithmetic, PNG encoding, GC); measured faster without on 2 cores (README).
      so.addConfigEntry("session.intra_op.allow_spinning", options.spinning() ? "1" : "0");
      chosenProvider[0] = configureDevice(so);
      long t0 = System.nanoTime();
      OrtSession session = env.createSession(bytes, so);
      sessionLoadNanos.add(System.nanoTime() - t0);
      return session;
    } finally {
      so.close();
    }
  }

  private String configureDevice(OrtSession.SessionOptions so) {
    Device device = options.device();
    if (device == Device.CPU) {
      return "CPUExecutionProvider";
    }
    String problem = GpuProbe.problem();
    if (problem == null) {
      try {
        so.addCUDA(0);
        return "CUDAExecutionProvider";
      } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
        problem = "ONNX Runtime could not start its CUDA execution provider: " + e.getMessage();
      }
    }
    if (device == Device.CUDA) {
      throw new EngineException("device cuda was requested but " + problem + "; use --device cpu or auto");
    }
    if (!cudaFallbackLogged) {
      cudaFallbackLogged = true;
      LOG.info("no usable GPU ({}); running on the CPU", problem);
    }
    return "CPUExecutionProvider";
  }

  @Override
  public synchronized void close() {
    for (GradientSession gs : gradientSessions.values()) {
      closeQuietly(gs.session());
    }
    gradientSessions.clear();
    activationSessions.values().forEach(Engine::closeQuietly);
    activationSessions.clear();
    closeQuietly(forward);
  }

  private static void closeQuietly(OrtSession s) {
    try {
      s.close();
    } catch (OrtException e) {
      LOG.debug("closing a session failed: {}", e.getMessage());
    }
  }
}

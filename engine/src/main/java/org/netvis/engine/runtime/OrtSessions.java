package org.netvis.engine.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.netvis.engine.graph.DataFiles;
import org.netvis.engine.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime's side of the engine: sessions opened with the engine's threads and device, runs of
 * them from and to heap tensors, and two clocks for the time spent inside ONNX Runtime (its runs, and
 * its loading of sessions) against which a technique's own time is told apart.
 */
final class OrtSessions {
  private static final Logger LOG = LoggerFactory.getLogger(OrtSessions.class);
  private static volatile boolean cudaFallbackLogged;

  private final OrtEnvironment env = OrtEnvironments.get();
  private final EngineOptions options;
  private final Clock clock;
  private final DataFiles dataFiles;
  private final ThreadLocal<Map<String, FloatBuffer>> directBuffers = ThreadLocal.withInitial(HashMap::new);
  private final Set<String> optimizationFallbacks = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * The time spent inside ONNX Runtime: its runs, and its loading of sessions. An engine opened as a
   * variant of another (the sanity check's randomized copies) shares the other's clock, so a step's
   * record counts that time too.
   */
  static final class Clock {
    private final LongAdder runNanos = new LongAdder();
    private final LongAdder loadNanos = new LongAdder();
  }

  /** @param dataFiles where the graphs' tensors kept in data files are ({@link DataFiles#serialize}) */
  OrtSessions(EngineOptions options, Clock clock, DataFiles dataFiles) {
    this.options = options;
    this.clock = clock;
    this.dataFiles = dataFiles;
  }

  Clock clock() {
    return clock;
  }

  /** Nanoseconds inside ONNX Runtime's run calls so far, all sessions and threads on this clock. */
  long runNanos() {
    return clock.runNanos.sum();
  }

  /** Nanoseconds ONNX Runtime spent loading sessions on this clock so far. */
  long loadNanos() {
    return clock.loadNanos.sum();
  }

  /** A session opened on a graph, and the execution provider it runs on. */
  record Opened(OrtSession session, String provider) {}

  /** Opens a session on the serialized graph with the options' threads and device; the loading is timed. */
  Opened open(byte[] bytes) throws OrtException {
    return open(bytes, Map.of());
  }

  /**
   * {@link #open(byte[])} with symbolic dimensions of the graph's inputs fixed at the given sizes,
   * so that ONNX Runtime's optimizer sees every shape (it then keeps more of a graph in its blocked
   * NCHWc layout); the session only takes inputs of those sizes.
   */
  Opened open(byte[] bytes, Map<String, Long> dimensions) throws OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    try {
      for (Map.Entry<String, Long> d : dimensions.entrySet()) {
        so.setSymbolicDimensionValue(d.getKey(), d.getValue());
      }
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      so.setIntraOpNumThreads(options.resolvedThreads());
      // Idle intra-op workers spin by default, taking cores from the JVM work between runs (the
      // techniques' arithmetic, PNG encoding, GC); measured faster without on 2 cores (bench/README.md).
      so.addConfigEntry("session.intra_op.allow_spinning", options.spinning() ? "1" : "0");
      // Quantized models run as their definition (dequantize, float operator, quantize), the function
      // the gradient graph differentiates, unless asked otherwise: ONNX Runtime's fused integer kernels
      // differ from it on x86 without VNNI, where uint8 x int8 products saturate in 16 bits.
      so.addConfigEntry("session.disable_quant_qdq", options.integerKernels() ? "0" : "1");
      dataFiles.configure(so);
      String provider = configureDevice(so);
      long t0 = System.nanoTime();
      OrtSession session;
      try {
        session = env.createSession(bytes, so);
      } catch (OrtException e) {
        session = withBasicOptimizations(bytes, so, e);
      }
      clock.loadNanos.add(System.nanoTime() - t0);
      return new Opened(session, provider);
    } finally {
      so.close();
    }
  }

  /**
   * The session with ONNX Runtime's basic optimizations only, where its extended ones (fusions,
   * layout changes) failed on a graph they should have left alone; {@code failure} is rethrown where
   * the basic ones fail too, since the graph itself is then at fault.
   */
  private OrtSession withBasicOptimizations(byte[] bytes, OrtSession.SessionOptions so, OrtException failure)
      throws OrtException {
    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
    OrtSession session;
    try {
      session = env.createSession(bytes, so);
    } catch (OrtException basicFailed) {
      throw failure;
    }
    String why = failure.getMessage();
    if (optimizationFallbacks.add(why)) {
      LOG.warn("ONNX Runtime's graph optimizations failed on a graph ({}); it runs with basic optimizations only", why);
    }
    return session;
  }

  /** Why graphs of this engine run with basic optimizations only; empty when every graph took all of them. */
  Set<String> optimizationFallbacks() {
    return Set.copyOf(optimizationFallbacks);
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

  /** Runs a session on heap tensors and returns the named outputs as heap tensors; the run is timed. */
  Map<String, Tensor> run(OrtSession session, Map<String, Tensor> inputs, List<String> outputs) throws OrtException {
    return run(session, inputs, outputs, Map.of(), 0, WHOLE);
  }

  /**
   * {@link #run(OrtSession, Map, List)} in parts of {@code part} rows along the feeds' first axis, each
   * read where it lies in the feeds, and the outputs (batch-first) joined; whole where {@code part} is
   * 0 or the feeds hold no more rows than that.
   */
  Map<String, Tensor> runInParts(OrtSession session, Map<String, Tensor> feeds, List<String> outputs, int part)
      throws OrtException {
    int rows = (int) feeds.values().iterator().next().dim(0);
    if (part == 0 || rows <= part) {
      return run(session, feeds, outputs);
    }
    Map<String, List<Tensor>> parts = new LinkedHashMap<>();
    for (int start = 0; start < rows; start += part) {
      int count = Math.min(rows, start + part) - start;
      run(session, feeds, outputs, Map.of(), start, count)
          .forEach((k, v) -> parts.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    parts.forEach((k, v) -> out.put(k, Tensor.concat(v)));
    return out;
  }

  /** {@code count} for a run of every input whole. */
  static final int WHOLE = -1;

  /**
   * {@link #run(OrtSession, Map, List)} on images [from, from + count) of every input (all
   * batch-first then; {@link #WHOLE} for the inputs as they are), writing the outputs named in
   * {@code into} over the same images of those tensors and returning the tensors themselves. Such
   * an output goes into a direct buffer kept per thread, which ONNX Runtime writes in place, and its
   * copy out lands in the caller's array: a freshly allocated one cost 0.6 ms more per 150,528
   * floats on this project's machine, and a part's inputs are not sliced into copies of their own
   * (bench/README.md, fifteenth session).
   */
  Map<String, Tensor> run(OrtSession session, Map<String, Tensor> inputs, List<String> outputs,
      Map<String, Tensor> into, int from, int count) throws OrtException {
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    Map<String, OnnxTensor> pinned = new LinkedHashMap<>();
    Map<String, FloatBuffer> pinnedBuffers = new HashMap<>();
    try {
      for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
        Tensor t = e.getValue();
        long[] shape = t.shape().clone();
        int offset = 0;
        if (count != WHOLE) {
          shape[0] = count;
          offset = from * t.itemSize();
        }
        int size = Math.toIntExact(Tensor.numel(shape));
        FloatBuffer b = directBuffer("in:" + e.getKey(), size);
        b.put(t.data(), offset, size);
        feeds.put(e.getKey(), OnnxTensor.createTensor(env, b.flip(), shape));
      }
      long batch = count != WHOLE ? count : inputs.values().iterator().next().dim(0);
      Set<String> requested = new LinkedHashSet<>();
      for (String name : outputs) {
        Tensor t = into.get(name);
        if (t == null) {
          requested.add(name);
          continue;
        }
        long[] shape = t.shape().clone();
        shape[0] = batch;
        FloatBuffer b = directBuffer("out:" + name, Math.toIntExact(Tensor.numel(shape)));
        pinnedBuffers.put(name, b);
        pinned.put(name, OnnxTensor.createTensor(env, b, shape));
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      long t0 = System.nanoTime();
      try (OrtSession.Result result = session.run(feeds, requested, pinned)) {
        clock.runNanos.add(System.nanoTime() - t0);
        for (String name : outputs) {
          Tensor t = into.get(name);
          if (t == null) {
            out.put(name, heapCopy((OnnxTensor) result.get(name).orElseThrow()));
          } else {
            FloatBuffer b = pinnedBuffers.get(name);
            b.get(t.data(), from * t.itemSize(), b.remaining());
            out.put(name, t);
          }
        }
      }
      return out;
    } finally {
      feeds.values().forEach(OnnxTensor::close);
      pinned.values().forEach(OnnxTensor::close);
    }
  }

  private static Tensor heapCopy(OnnxTensor t) throws OrtException {
    // getFloatBuffer() already copies out of native memory into a heap buffer: take its array.
    FloatBuffer buf = t.getFloatBuffer();
    float[] data;
    if (buf.hasArray() && buf.arrayOffset() == 0 && buf.position() == 0 && buf.array().length == buf.remaining()) {
      data = buf.array();
    } else {
      data = new float[buf.remaining()];
      buf.get(data);
    }
    return new Tensor(t.getInfo().getShape(), data);
  }

  /**
   * A direct buffer in native order of {@code size} floats, cleared: ONNX Runtime reads and writes a
   * direct buffer in place, where a heap buffer would be copied into a freshly allocated direct one
   * at every call. One buffer per thread, key and size, reused across calls (iterative techniques
   * call the same shapes hundreds of times).
   */
  private FloatBuffer directBuffer(String key, int size) {
    Map<String, FloatBuffer> mine = directBuffers.get();
    FloatBuffer b = mine.get(key + "#" + size);
    if (b == null) {
      if (mine.size() > 16) {
        mine.clear(); // many sizes in turn (DeepDream's octaves): keep the cache small
      }
      b = java.nio.ByteBuffer.allocateDirect(size * Float.BYTES).order(java.nio.ByteOrder.nativeOrder())
          .asFloatBuffer();
      mine.put(key + "#" + size, b);
    }
    return b.clear();
  }

  static void closeQuietly(OrtSession s) {
    try {
      s.close();
    } catch (OrtException e) {
      LOG.debug("closing a session failed: {}", e.getMessage());
    }
  }
}

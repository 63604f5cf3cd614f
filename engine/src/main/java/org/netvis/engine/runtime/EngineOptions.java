package org.netvis.engine.runtime;

/**
 * How the engine runs.
 *
 * @param intraOpThreads ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (one per core)
 * @param companionCache where gradient graphs go when the model's own directory is read-only
 * @param spinning whether ONNX Runtime's idle intra-op threads spin between runs (its default) or
 *     sleep (netvis' default; {@code NETVIS_ORT_SPINNING=1} turns spinning on)
 * @param gradientBatch the most images per gradient-graph run: a larger batch runs in parts of this
 *     size and its results are joined. {@link #AUTOMATIC_GRADIENT_BATCH} (the default) means
 *     {@link #CPU_GRADIENT_BATCH} on the CPU and the whole batch on a GPU; 0 always runs the whole
 *     batch ({@code NETVIS_GRADIENT_BATCH=N} sets it)
 * @param batchSessions on the CPU, how many batch sizes of a gradient graph may each get a session of
 *     their own, loaded with the batch fixed (see {@link GradientSession}); 0 = none
 *     ({@code NETVIS_BATCH_SESSIONS=N} sets it)
 */
public record EngineOptions(Device device, int intraOpThreads, java.nio.file.Path companionCache, boolean spinning,
    int gradientBatch, int batchSessions) {
  public static final int AUTOMATIC_GRADIENT_BATCH = -1;
  /**
   * On the CPU the gradient graph is fastest per image at about this batch: larger batches no
   * longer keep their activations in the caches (SqueezeNet 1.1 on a 2-core EPYC: 16.9 ms per
   * image at 8, 20.9 at 32).
   */
  public static final int CPU_GRADIENT_BATCH = 8;
  /**
   * Two: the engine's parts of {@link #CPU_GRADIENT_BATCH} and one other size (an iterative
   * technique's batch). Each costs a session load and a copy of the graph's weights.
   */
  public static final int DEFAULT_BATCH_SESSIONS = 2;

  public EngineOptions {
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intra-op threads must be >= 0, got " + intraOpThreads);
    }
    if (gradientBatch < AUTOMATIC_GRADIENT_BATCH) {
      throw new IllegalArgumentException("gradient batch must be >= 0 (0 = whole batch), got " + gradientBatch);
    }
    if (batchSessions < 0) {
      throw new IllegalArgumentException("batch sessions must be >= 0, got " + batchSessions);
    }
  }

  public static EngineOptions defaults() {
    return new EngineOptions(Device.AUTO, 0,
        org.netvis.engine.model.ModelRegistry.userCacheDir().resolve("graphs"), "1".equals(System.getenv("NETVIS_ORT_SPINNING")),
        gradientBatchFromEnvironment(System.getenv("NETVIS_GRADIENT_BATCH")),
        wholeNumber("NETVIS_BATCH_SESSIONS", System.getenv("NETVIS_BATCH_SESSIONS"), DEFAULT_BATCH_SESSIONS,
            "gradient-graph sessions with a fixed batch; 0 = none"));
  }

  static int gradientBatchFromEnvironment(String value) {
    return wholeNumber("NETVIS_GRADIENT_BATCH", value, AUTOMATIC_GRADIENT_BATCH,
        "images per gradient run; 0 = the whole batch");
  }

  /** An environment variable's whole number >= 0, or {@code unset} when it is absent or blank. */
  static int wholeNumber(String variable, String value, int unset, String meaning) {
    if (value == null || value.isBlank()) {
      return unset;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(variable + " is '" + value + "'; expected a whole number >= 0 (" + meaning + ")");
  }

  public EngineOptions withDevice(Device d) {
    return new EngineOptions(d, intraOpThreads, companionCache, spinning, gradientBatch, batchSessions);
  }

  public EngineOptions withThreads(int threads) {
    return new EngineOptions(device, threads, companionCache, spinning, gradientBatch, batchSessions);
  }

  public EngineOptions withCompanionCache(java.nio.file.Path dir) {
    return new EngineOptions(device, intraOpThreads, dir, spinning, gradientBatch, batchSessions);
  }

  public EngineOptions withGradientBatch(int images) {
    return new EngineOptions(device, intraOpThreads, companionCache, spinning, images, batchSessions);
  }

  public EngineOptions withBatchSessions(int sessions) {
    return new EngineOptions(device, intraOpThreads, companionCache, spinning, gradientBatch, sessions);
  }
}

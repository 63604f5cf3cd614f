package org.netvis.engine.runtime;

/**
 * How the engine runs.
 *
 * @param intraOpThreads ONNX Runtime intra-op threads; 0: one per physical core ({@link #resolvedThreads})
 * @param companionCache where gradient graphs go when the model's own directory is read-only; null:
 *     gradient graphs are derived in memory, never read from or written to files ({@link
 *     #withoutCompanionFiles})
 * @param spinning whether ONNX Runtime's idle intra-op threads spin between runs (its default) or
 *     sleep (netvis' default; {@code NETVIS_ORT_SPINNING=1} turns spinning on)
 * @param gradientBatch the most images per gradient-graph run, and per forward pass of the model: a
 *     larger batch runs in parts of this size and its results are joined.
 *     {@link #AUTOMATIC_GRADIENT_BATCH} (the default) means {@link #CPU_GRADIENT_BATCH} on the CPU,
 *     fewer where a run of that many would keep more than {@link #MEMORY_SHARE} of the machine's
 *     memory in forward tensors (ViT-H/14), and the whole batch on a GPU; 0 always runs the whole
 *     batch ({@code NETVIS_GRADIENT_BATCH=N} sets it)
 * @param fixedBatchSessions on the CPU, with gradient batches in parts, whether each batch size runs
 *     a gradient session loaded with the batch fixed at that size (see {@link GradientSession}; off by
 *     default, {@code NETVIS_FIXED_BATCH_SESSIONS=1} turns it on: faster runs, a session load for
 *     every new size)
 * @param integerKernels whether ONNX Runtime fuses a quantized model's dequantize -> operator ->
 *     quantize groups into its integer kernels: faster, but on x86 without VNNI its uint8 x int8
 *     products saturate in 16 bits, so the scores leave the model's definition and the function the
 *     gradient explains. Off by default (the definition, in float32, on every machine);
 *     {@code NETVIS_ORT_INTEGER_KERNELS=1} turns it on
 */
public record EngineOptions(Device device, int intraOpThreads, java.nio.file.Path companionCache, boolean spinning,
    int gradientBatch, boolean fixedBatchSessions, boolean integerKernels) {
  public static final int AUTOMATIC_GRADIENT_BATCH = -1;
  /**
   * On the CPU the gradient graph is fastest per image at about this batch: larger batches no
   * longer keep their activations in the caches (SqueezeNet 1.1 on a 2-core EPYC: 16.9 ms per
   * image at 8, 20.9 at 32).
   */
  public static final int CPU_GRADIENT_BATCH = 8;

  /**
   * The share of the machine's memory one automatic gradient batch may take in forward tensors, the
   * rest left to the weights (ONNX Runtime holds them per session) and the JVM: at 8 images, ViT-H/14's
   * gradient runs peaked at 23 GB on this project's 23 GB machine; in parts of 2, at 13 GB.
   */
  public static final double MEMORY_SHARE = 0.25;

  public EngineOptions {
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intra-op threads must be >= 0, got " + intraOpThreads);
    }
    if (gradientBatch < AUTOMATIC_GRADIENT_BATCH) {
      throw new IllegalArgumentException("gradient batch must be >= 0 (0 = whole batch), got " + gradientBatch);
    }
  }

  public static EngineOptions defaults() {
    return new EngineOptions(Device.AUTO, 0,
        org.netvis.engine.model.ModelRegistry.userCacheDir().resolve("graphs"), "1".equals(System.getenv("NETVIS_ORT_SPINNING")),
        gradientBatchFromEnvironment(System.getenv("NETVIS_GRADIENT_BATCH")),
        switchFromEnvironment("NETVIS_FIXED_BATCH_SESSIONS", System.getenv("NETVIS_FIXED_BATCH_SESSIONS"), false),
        switchFromEnvironment("NETVIS_ORT_INTEGER_KERNELS", System.getenv("NETVIS_ORT_INTEGER_KERNELS"), false));
  }

  static int gradientBatchFromEnvironment(String value) {
    if (value == null || value.isBlank()) {
      return AUTOMATIC_GRADIENT_BATCH;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("NETVIS_GRADIENT_BATCH is '" + value
        + "'; expected a whole number >= 0 (images per gradient run; 0 = the whole batch)");
  }

  /** An environment variable's 0 or 1, or {@code unset} when it is absent or blank. */
  static boolean switchFromEnvironment(String variable, String value, boolean unset) {
    if (value == null || value.isBlank()) {
      return unset;
    }
    return switch (value.trim()) {
      case "1" -> true;
      case "0" -> false;
      default -> throw new IllegalArgumentException(variable + " is '" + value + "'; expected 0 (off) or 1 (on)");
    };
  }

  public EngineOptions withDevice(Device d) {
    return new EngineOptions(d, intraOpThreads, companionCache, spinning, gradientBatch, fixedBatchSessions, integerKernels);
  }

  /** The intra-op threads sessions get: the ones asked for, or one per physical core this process may use. */
  public int resolvedThreads() {
    return intraOpThreads > 0 ? intraOpThreads : CpuCores.physical();
  }

  public EngineOptions withThreads(int threads) {
    return new EngineOptions(device, threads, companionCache, spinning, gradientBatch, fixedBatchSessions, integerKernels);
  }

  public EngineOptions withCompanionCache(java.nio.file.Path dir) {
    return new EngineOptions(device, intraOpThreads, dir, spinning, gradientBatch, fixedBatchSessions, integerKernels);
  }

  /**
   * Gradient graphs derived in memory, neither looked for nor saved beside the model or in a cache:
   * for models that live for one step (the sanity check's copies with redrawn layers), whose graphs
   * nobody reads again (writing the ResNet-18 fixture's took 0.25 s a stage).
   */
  public EngineOptions withoutCompanionFiles() {
    return withCompanionCache(null);
  }

  public EngineOptions withGradientBatch(int images) {
    return new EngineOptions(device, intraOpThreads, companionCache, spinning, images, fixedBatchSessions, integerKernels);
  }

  public EngineOptions withFixedBatchSessions(boolean on) {
    return new EngineOptions(device, intraOpThreads, companionCache, spinning, gradientBatch, on, integerKernels);
  }

  public EngineOptions withIntegerKernels(boolean on) {
    return new EngineOptions(device, intraOpThreads, companionCache, spinning, gradientBatch, fixedBatchSessions, on);
  }
}

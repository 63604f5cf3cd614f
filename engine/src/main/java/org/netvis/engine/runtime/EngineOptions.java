package org.netvis.engine.runtime;

/**
 * How the engine runs.
 *
 * @param intraOpThreads ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (one per core)
 * @param companionCache where gradient graphs go when the model's own directory is read-only
 * @param spinning whether ONNX Runtime's idle intra-op threads spin between runs (its default) or
 *     sleep (netvis' default; {@code NETVIS_ORT_SPINNING=1} turns spinning on)
 */
public record EngineOptions(Device device, int intraOpThreads, java.nio.file.Path companionCache, boolean spinning) {
  public EngineOptions {
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intra-op threads must be >= 0, got " + intraOpThreads);
    }
  }

  public static EngineOptions defaults() {
    return new EngineOptions(Device.AUTO, 0,
        org.netvis.engine.model.ModelRegistry.userCacheDir().resolve("graphs"), "1".equals(System.getenv("NETVIS_ORT_SPINNING")));
  }

  public EngineOptions withDevice(Device d) {
    return new EngineOptions(d, intraOpThreads, companionCache, spinning);
  }

  public EngineOptions withThreads(int threads) {
    return new EngineOptions(device, threads, companionCache, spinning);
  }

  public EngineOptions withCompanionCache(java.nio.file.Path dir) {
    return new EngineOptions(device, intraOpThreads, dir, spinning);
  }
}

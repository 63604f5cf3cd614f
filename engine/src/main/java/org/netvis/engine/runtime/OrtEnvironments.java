package org.netvis.engine.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;

/**
 * The one ONNX Runtime environment of the process, logging errors only: its warnings (unused
 * initializers in exported graphs, for one) are not the user's concern and netvis reports what is.
 */
public final class OrtEnvironments {
  private OrtEnvironments() {}

  /**
   * Loads ONNX Runtime's native libraries and creates the environment on a background thread, so
   * that a command overlaps it with reading its experiment (about 0.1 s of a one-second start).
   */
  public static void warmUp() {
    Thread t = new Thread(OrtEnvironments::get, "netvis-onnxruntime-warm-up");
    t.setDaemon(true);
    t.start();
  }

  public static OrtEnvironment get() {
    NativeLibraries.prepare();
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "netvis");
  }
}

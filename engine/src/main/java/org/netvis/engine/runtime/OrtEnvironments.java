package org.netvis.engine.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;

/**
 * The one ONNX Runtime environment of the process, logging errors only: its warnings (unused
 * initializers in exported graphs, for one) are not the user's concern and netvis reports what is.
 */
public final class OrtEnvironments {
  private OrtEnvironments() {}

  public static OrtEnvironment get() {
    NativeLibraries.prepare();
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "netvis");
  }
}

package org.netvis.engine.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import org.slf4j.LoggerFactory;

/**
 * The one ONNX Runtime environment of the process, logging errors only: its warnings (unused
 * initializers in exported graphs, for one) are not the user's concern and netvis reports what is.
 *
 * <p>Created on a thread of its own with a large stack, and with ONNX Runtime's telemetry off. Since
 * 1.29, creating the environment on Linux collects telemetry (to upload over HTTPS) and matches
 * regular expressions against the process's command line with GCC's std::regex, which recurses per
 * character: a command line of a few thousand characters (the launcher's classpath is one) overflows
 * a thread's default 1 MB stack and kills the JVM with SIGSEGV, without a crash report. The launcher
 * also sets {@code ORT_DISABLE_TELEMETRY=1}, which skips that code; a JVM started some other way (a
 * test, a Spark executor) relies on the stack.
 */
public final class OrtEnvironments {
  /** Room for GCC's regex recursion over a command line of 100,000 characters and more (reserved, not committed). */
  private static final long CREATION_STACK_BYTES = 256L << 20;

  private static volatile OrtEnvironment environment;

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
    OrtEnvironment env = environment;
    if (env == null) {
      synchronized (OrtEnvironments.class) {
        env = environment;
        if (env == null) {
          env = create();
          environment = env;
        }
      }
    }
    return env;
  }

  private static OrtEnvironment create() {
    NativeLibraries.prepare();
    OrtEnvironment[] created = new OrtEnvironment[1];
    Throwable[] failed = new Throwable[1];
    Thread t = new Thread(null, () -> {
      try {
        created[0] = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "netvis");
        try {
          created[0].setTelemetry(false);
        } catch (OrtException e) {
          // The environment works without it; only the telemetry stays on.
          LoggerFactory.getLogger(OrtEnvironments.class).debug("ONNX Runtime's telemetry stays on: {}", e.getMessage());
        }
      } catch (RuntimeException | Error e) {
        failed[0] = e;
      }
    }, "netvis-onnxruntime-environment", CREATION_STACK_BYTES);
    t.start();
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (failed[0] instanceof Error error) {
      throw error;
    }
    if (failed[0] != null) {
      throw new EngineException("ONNX Runtime could not create its environment: " + failed[0].getMessage(), failed[0]);
    }
    return created[0];
  }
}

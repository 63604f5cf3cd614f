package org.netvis.engine.runtime;

import java.util.Locale;

/** Where ONNX Runtime executes: {@code auto} tries CUDA and falls back to the CPU. */
public enum Device {
  AUTO, CPU, CUDA;

  public static Device parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("device '" + text + "' is not one of auto, cpu, cuda");
    }
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}

package org.netvis.engine.runtime;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A cheap look for an NVIDIA GPU before asking ONNX Runtime for CUDA, which would otherwise unpack
 * a 370 MB provider library just to find there is no device.
 */
final class GpuProbe {
  private GpuProbe() {}

  /** Null when a GPU seems present; otherwise why not. */
  static String problem() {
    if (Boolean.getBoolean("netvis.noGpu") || "1".equals(System.getenv("NETVIS_NO_GPU"))) {
      return "GPU use is disabled by NETVIS_NO_GPU";
    }
    if (Files.exists(Path.of("/dev/nvidia0")) || Files.exists(Path.of("/proc/driver/nvidia/version"))
        || Files.exists(Path.of("/dev/dxg"))) {
      return null;
    }
    return "no NVIDIA GPU device was found (/dev/nvidia0 is absent)";
  }
}

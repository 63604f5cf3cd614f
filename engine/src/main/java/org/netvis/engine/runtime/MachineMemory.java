package org.netvis.engine.runtime;

import java.lang.management.ManagementFactory;

/** The memory of the machine (or of the container the JVM runs in, which the JVM reads from its cgroup). */
final class MachineMemory {
  // Read once: it does not change while the process runs, and every gradient run asks for it.
  private static final long TOTAL = read();

  private MachineMemory() {}

  /** Total bytes; Long.MAX_VALUE where the platform does not say. */
  static long total() {
    return TOTAL;
  }

  private static long read() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      long total = os.getTotalMemorySize();
      return total > 0 ? total : Long.MAX_VALUE;
    }
    return Long.MAX_VALUE;
  }
}

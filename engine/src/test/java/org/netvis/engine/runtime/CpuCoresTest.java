package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default intra-op threads from a CPU topology laid out as Linux's sysfs lays it out. */
class CpuCoresTest {
  @TempDir Path dir;

  /** cpu0 ... cpuN-1, cpu k on core {@code cores[k]} of package 0; a cpufreq entry that is no CPU. */
  private Path topology(String name, int... cores) throws IOException {
    Path root = dir.resolve(name);
    for (int k = 0; k < cores.length; k++) {
      Path t = Files.createDirectories(root.resolve("cpu" + k).resolve("topology"));
      Files.writeString(t.resolve("core_id"), cores[k] + "\n");
      Files.writeString(t.resolve("physical_package_id"), "0\n");
    }
    Files.createDirectories(root.resolve("cpufreq"));
    return root;
  }

  @Test
  void oneThreadPerPhysicalCoreOfTheAvailableProcessors() throws IOException {
    assertEquals(2, CpuCores.of(2, topology("plain", 0, 1)), "two cores, no hardware threads");
    assertEquals(2, CpuCores.of(4, topology("smt", 0, 1, 0, 1)), "two cores of two hardware threads each");
    assertEquals(1, CpuCores.of(2, topology("limited", 0, 1, 2, 3, 0, 1, 2, 3)),
        "a process allowed 2 of 8 hardware threads on 4 cores");
    assertEquals(3, CpuCores.of(3, dir.resolve("no-sysfs")), "no topology to read: every available processor");
    assertTrue(CpuCores.physical() >= 1);
  }
}

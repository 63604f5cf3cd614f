package org.netvis.engine.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One ONNX Runtime intra-op thread per physical core this process may use: the default the engine
 * sets itself. ONNX Runtime's own default (its cpuinfo library's core count) was one thread on a
 * 2-core AMD EPYC of family 26 (Zen 5), which ran the forward pass at half the speed both cores give.
 */
final class CpuCores {
  private static final Pattern CPU_DIRECTORY = Pattern.compile("cpu[0-9]+");
  private static volatile int physical;

  private CpuCores() {}

  /** The available processors less their hardware-thread siblings: logical CPUs over threads per core. */
  static int physical() {
    if (physical == 0) {
      physical = of(Runtime.getRuntime().availableProcessors(), Path.of("/sys/devices/system/cpu"));
    }
    return physical;
  }

  /**
   * {@code available} logical CPUs over the threads per core the topology under {@code sysCpu} shows
   * (its CPUs over its distinct package and core ids); {@code available} where there is no topology
   * to read (not Linux).
   */
  static int of(int available, Path sysCpu) {
    Set<String> cores = new HashSet<>();
    int cpus = 0;
    try (Stream<Path> entries = Files.list(sysCpu)) {
      for (Path cpu : entries.filter(p -> CPU_DIRECTORY.matcher(p.getFileName().toString()).matches()).toList()) {
        Path topology = cpu.resolve("topology");
        if (!Files.isRegularFile(topology.resolve("core_id"))) {
          continue;
        }
        cores.add(Files.readString(topology.resolve("physical_package_id")).trim() + "/"
            + Files.readString(topology.resolve("core_id")).trim());
        cpus++;
      }
    } catch (IOException | RuntimeException e) {
      return available;
    }
    if (cores.isEmpty()) {
      return available;
    }
    int threadsPerCore = Math.max(1, Math.round((float) cpus / cores.size()));
    return Math.max(1, available / threadsPerCore);
  }
}

package org.netvis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cli/environment.sh}, which the launcher and bench/java.sh source: the malloc tunables it adds
 * for ONNX Runtime, that a tunable the caller already names keeps the caller's value, and the JVM's
 * huge-page option by the kernel's transparent-huge-page mode.
 */
class LauncherEnvironmentTest {
  private static final List<String> ADDED = List.of("glibc.malloc.hugetlb=1", "glibc.malloc.mmap_threshold=33554432",
      "glibc.malloc.top_pad=67108864");

  /**
   * GLIBC_TUNABLES, ORT_DISABLE_TELEMETRY and NETVIS_JVM_OPTIONS (joined by spaces) after sourcing the file
   * in a shell with the given ones.
   */
  private static List<String> sourced(String tunables, String telemetry) throws Exception {
    return sourced(tunables, telemetry, null);
  }

  private static List<String> sourced(String tunables, String telemetry, Path modeFile) throws Exception {
    Path script = Path.of(System.getProperty("netvis.home"), "cli", "environment.sh");
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -euo pipefail; source \"$1\"; printf '%s\\n%s\\n%s\\n'"
        + " \"$GLIBC_TUNABLES\" \"$ORT_DISABLE_TELEMETRY\" \"${NETVIS_JVM_OPTIONS[*]}\"", "environment", script.toString());
    Map<String, String> env = pb.environment();
    env.remove("GLIBC_TUNABLES");
    env.remove("ORT_DISABLE_TELEMETRY");
    env.remove("NETVIS_THP_MODE_FILE");
    if (modeFile != null) {
      env.put("NETVIS_THP_MODE_FILE", modeFile.toString());
    }
    if (tunables != null) {
      env.put("GLIBC_TUNABLES", tunables);
    }
    if (telemetry != null) {
      env.put("ORT_DISABLE_TELEMETRY", telemetry);
    }
    Process p = pb.redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("sourcing " + script + " failed: " + out);
    }
    return List.of(out.split("\n", -1)).subList(0, 3);
  }

  @Test
  void addsTheMallocTunablesAndTurnsTelemetryOff() throws Exception {
    assertEquals(List.of(String.join(":", ADDED), "1"), sourced(null, null).subList(0, 2));
  }

  @Test
  void keepsWhatTheCallerSetAndAddsOnlyTheOthers() throws Exception {
    assertEquals(List.of("glibc.cpu.hwcaps=-AVX512F:glibc.malloc.hugetlb=0:glibc.malloc.mmap_threshold=33554432"
        + ":glibc.malloc.top_pad=67108864", "0"), sourced("glibc.cpu.hwcaps=-AVX512F:glibc.malloc.hugetlb=0", "0")
        .subList(0, 2));
    assertEquals("glibc.malloc.top_pad=0:glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432",
        sourced("glibc.malloc.top_pad=0", null).get(0));
  }

  /** The kernel's mode file reads "always madvise [never]" and so on; the bracketed word is the mode. */
  @Test
  void asksForHugePagesForTheHeapOnlyWhereTheKernelGivesThem(@TempDir Path dir) throws Exception {
    Map<String, String> expected = Map.of("always [madvise] never", "-XX:+UseTransparentHugePages",
        "[always] madvise never", "-XX:+UseTransparentHugePages", "always madvise [never]", "");
    for (Map.Entry<String, String> mode : expected.entrySet()) {
      Path file = Files.writeString(dir.resolve("enabled"), mode.getKey() + "\n");
      assertEquals(mode.getValue(), sourced(null, null, file).get(2), mode.getKey());
    }
    assertEquals("", sourced(null, null, dir.resolve("absent")).get(2), "no such file: a kernel without THP");
  }
}

package org.netvis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code cli/environment.sh}, which the launcher and bench/java.sh source: the malloc tunables it adds
 * for ONNX Runtime, and that a tunable the caller already names keeps the caller's value.
 */
class LauncherEnvironmentTest {
  private static final List<String> ADDED = List.of("glibc.malloc.hugetlb=1", "glibc.malloc.mmap_threshold=33554432",
      "glibc.malloc.top_pad=67108864");

  /** GLIBC_TUNABLES and ORT_DISABLE_TELEMETRY after sourcing the file in a shell with the given ones. */
  private static List<String> sourced(String tunables, String telemetry) throws Exception {
    Path script = Path.of(System.getProperty("netvis.home"), "cli", "environment.sh");
    ProcessBuilder pb = new ProcessBuilder("bash", "-c",
        "source \"$1\"; printf '%s\\n%s\\n' \"$GLIBC_TUNABLES\" \"$ORT_DISABLE_TELEMETRY\"", "environment", script.toString());
    Map<String, String> env = pb.environment();
    env.remove("GLIBC_TUNABLES");
    env.remove("ORT_DISABLE_TELEMETRY");
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
    return List.of(out.split("\n", -1)).subList(0, 2);
  }

  @Test
  void addsTheMallocTunablesAndTurnsTelemetryOff() throws Exception {
    assertEquals(List.of(String.join(":", ADDED), "1"), sourced(null, null));
  }

  @Test
  void keepsWhatTheCallerSetAndAddsOnlyTheOthers() throws Exception {
    assertEquals(List.of("glibc.cpu.hwcaps=-AVX512F:glibc.malloc.hugetlb=0:glibc.malloc.mmap_threshold=33554432"
        + ":glibc.malloc.top_pad=67108864", "0"), sourced("glibc.cpu.hwcaps=-AVX512F:glibc.malloc.hugetlb=0", "0"));
    assertEquals("glibc.malloc.top_pad=0:glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432",
        sourced("glibc.malloc.top_pad=0", null).get(0));
  }
}

package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime 1.29 overflows a default thread stack when it creates its environment in a process
 * with a long command line (its telemetry's regular expressions over /proc/self/cmdline), and the
 * JVM dies with SIGSEGV (the binding by itself, on the main thread, dies on this test's command line).
 * The case starts a JVM whose command line carries 20,000 more characters, without
 * ORT_DISABLE_TELEMETRY, as a Spark executor or an IDE would.
 */
class OrtEnvironmentsTest {
  @TempDir Path dir;

  /** Creates the environment the way netvis does. */
  public static final class ThroughNetvis {
    public static void main(String[] args) {
      System.out.println("created " + OrtEnvironments.get().getVersion());
    }
  }

  @Test
  void netvisCreatesTheEnvironmentWhateverTheCommandLine() throws Exception {
    Child child = run(ThroughNetvis.class);
    assertEquals(0, child.exit(), child.output());
    assertTrue(child.output().contains("created " + OrtEnvironments.get().getVersion()), child.output());
  }

  private record Child(int exit, String output) {}

  private Child run(Class<?> main) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xss1m", "-cp", System.getProperty("java.class.path"), "-Dnetvis.cache=" + dir, "-Dpadding=" + "x".repeat(20_000),
        main.getName());
    pb.environment().remove("ORT_DISABLE_TELEMETRY");
    Path log = dir.resolve(main.getSimpleName() + ".log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM ends");
    return new Child(p.exitValue(), Files.readString(log));
  }
}

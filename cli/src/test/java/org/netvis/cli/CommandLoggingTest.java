package org.netvis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.testing.SharedData;

/**
 * The logging of a {@code netvis} process, which starts through {@link CommandLogging} rather than
 * Logback's own provider: checked in a JVM of its own, as the launcher runs it.
 */
class CommandLoggingTest {
  @TempDir Path dir;

  /** A finished netvis process: its exit status and what it wrote. */
  private record Finished(int status, String out, String err) {}

  /** The launcher's class path has no test classes; the tests' has the engine's logback-test.xml. */
  private static String classPath(boolean withTests) {
    return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(e -> withTests || !(e.endsWith("test-classes") || e.endsWith("-tests.jar")))
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  private Finished netvis(boolean withTests, String... args) throws Exception {
    return netvis(withTests, List.of(), args);
  }

  private Finished netvis(boolean withTests, List<String> jvmOptions, String... args) throws Exception {
    List<String> command = CliTest.netvisProcess(classPath(withTests), jvmOptions, args);
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "netvis finishes");
    return new Finished(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private Path experiment() throws Exception {
    Path f = dir.resolve("logging.yaml");
    Files.writeString(f, "name: logging\nmodel: squeezenet1_1\ndevice: cpu\ninputs: ['"
        + SharedData.root().resolve("images/00_hay.png") + "']\nsteps:\n  - technique: saliency\n");
    return f;
  }

  @Test
  void theTerminalGetsMessagesAtInfoAndTheRunLogGetsEverythingWithTimestamps() throws Exception {
    Path out = dir.resolve("run");
    Finished p = netvis(false, "run", experiment().toString(), "--out", out.toString());
    assertEquals(0, p.status(), p.err());
    List<String> lines = p.err().lines().toList();
    assertEquals("run logging -> " + out, lines.get(0), "a message alone, with no level or time: " + p.err());
    assertTrue(lines.contains("step 0: saliency"), p.err());
    assertFalse(p.err().contains("SLF4J"), "nothing from SLF4J itself: " + p.err());
    assertFalse(p.err().contains("DEBUG") || p.err().contains("companion gradient graph"), "no DEBUG: " + p.err());
    assertFalse(p.out().contains("run logging"), "the log stays off stdout: " + p.out());
    List<String> runLog = Files.readAllLines(out.resolve("run.log"));
    assertTrue(runLog.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  \\[main\\] "
        + "o\\.netvis\\.engine\\.run\\.ExperimentRunner - run logging -> .*"), runLog.get(0));
    assertTrue(runLog.stream().anyMatch(l -> l.contains(" DEBUG ") && l.contains("companion gradient graph")),
        "run.log has the DEBUG lines: " + runLog);
  }

  @Test
  void verboseShowsDebugOnTheTerminal() throws Exception {
    Finished p = netvis(false, "-v", "run", experiment().toString(), "--out", dir.resolve("verbose").toString());
    assertEquals(0, p.status(), p.err());
    assertTrue(p.err().lines().anyMatch(l -> l.contains("companion gradient graph")), p.err());
    assertFalse(p.err().contains("SLF4J"), p.err());
  }

  @Test
  void slf4jLoadsTheCommandsOwnProvider() throws Exception {
    // SLF4J names the provider it loads at its own INFO level.
    Finished p = netvis(false, List.of("-Dslf4j.internal.verbosity=INFO"), "models");
    assertEquals(0, p.status(), p.err());
    assertTrue(p.err().contains("Attempting to load provider \"org.netvis.cli.CommandLogging\""), p.err());
  }

  @Test
  void aLogbackTestXmlOnTheClassPathStillConfiguresTheLogging() throws Exception {
    Finished p = netvis(true, "run", experiment().toString(), "--out", dir.resolve("with-tests").toString());
    assertEquals(0, p.status(), p.err());
    // The engine's logback-test.xml: "%-5level %logger{0} - %msg%n" on stderr.
    assertTrue(p.err().lines().anyMatch(l -> l.equals("INFO  ExperimentRunner - step 0: saliency")), p.err());
  }
}

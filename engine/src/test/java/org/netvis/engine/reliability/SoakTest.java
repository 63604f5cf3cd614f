package org.netvis.engine.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.experiment.Experiment;
import org.netvis.engine.experiment.ExperimentLoader;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.run.ExperimentRunner;
import org.netvis.engine.run.RunLog;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.testing.TinyExperiment;

/**
 * 200 small runs back to back in one JVM through the engine API: resident memory and open file
 * handles must not grow beyond fixed bounds. Not in CI's default run; run it with
 * {@code bench/soak.sh}.
 */
@Tag("soak")
class SoakTest {
  static final int RUNS = 200;
  static final long RSS_GROWTH_BOUND_MB = 64;
  static final long FD_GROWTH_BOUND = 8;

  @TempDir Path dir;

  static long rssMb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  static long openFiles() throws Exception {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  @Test
  void twoHundredRunsDoNotLeak() throws Exception {
    TinyExperiment tiny = new TinyExperiment(dir);
    PluginRegistry plugins = TinyExperiment.plugins();
    ExperimentLoader loader = new ExperimentLoader(plugins, TinyExperiment.emptyModels(dir));
    ExperimentRunner runner = new ExperimentRunner(plugins, TinyExperiment.emptyModels(dir), RunLog.NONE, false,
        EngineOptions.defaults().withCompanionCache(dir.resolve("graphs")));
    Experiment e = loader.load(tiny.yaml("soak.yaml", "  - technique: test-noise\n  - technique: test-noise\n"
        + "    params: {count: 100}\n"), List.of());
    long rssStart = 0;
    long fdStart = 0;
    long rssMax = 0;
    for (int i = 0; i < RUNS; i++) {
      Path out = dir.resolve("runs/run-" + i);
      assertEquals("succeeded", runner.run(e, out).status());
      // Keep the disk small: only the last few runs stay.
      if (i >= 5) {
        deleteTree(dir.resolve("runs/run-" + (i - 5)));
      }
      if (i == 19) {
        System.gc();
        rssStart = rssMb();
        fdStart = openFiles();
      }
      if (i > 19) {
        rssMax = Math.max(rssMax, rssMb());
      }
    }
    System.gc();
    long rssEnd = rssMb();
    long fdEnd = openFiles();
    System.out.printf("soak: %d runs; resident memory after 20 runs %d MB, peak after %d MB, at the end %d MB "
        + "(bound: growth <= %d MB); open files %d -> %d (bound: growth <= %d)%n", RUNS, rssStart, rssMax, rssEnd,
        RSS_GROWTH_BOUND_MB, fdStart, fdEnd, FD_GROWTH_BOUND);
    assertTrue(rssEnd - rssStart <= RSS_GROWTH_BOUND_MB, "resident memory grew by " + (rssEnd - rssStart) + " MB");
    assertTrue(fdEnd - fdStart <= FD_GROWTH_BOUND, "open files grew by " + (fdEnd - fdStart));
  }

  private static void deleteTree(Path p) throws Exception {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}

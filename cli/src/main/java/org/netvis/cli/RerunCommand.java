package org.netvis.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.netvis.engine.run.ExperimentRunner;
import org.netvis.engine.run.RunComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs a finished run again from its resolved experiment and compares every output array. */
@Command(name = "rerun", mixinStandardHelpOptions = true,
    description = "Run a run directory's experiment again and report whether every output array is identical.")
final class RerunCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "A run directory written by 'netvis run'.")
  Path runDir;

  @Option(names = "--out", description = "Where the new run goes (default: runs/<UTC timestamp>-<name>-rerun).")
  Path out;

  @Mixin PluginOptions plugins;

  @Override
  public Integer call() throws Exception {
    Path resolved = runDir.resolve("experiment.resolved.json");
    if (!Files.isRegularFile(resolved)) {
      throw new IllegalArgumentException(runDir + " is not a run directory (no experiment.resolved.json)");
    }
    String name = runDir.toAbsolutePath().normalize().getFileName().toString();
    Path target = out != null ? out : ExperimentRunner.defaultDirectory(Path.of("runs"), name.replaceFirst("^\\d{8}T\\d{6}Z-", "") + "-rerun", Instant.now());
    int status = RunCommand.execute(resolved, List.of(), target, plugins.registry());
    if (status != 0) {
      return status;
    }
    RunComparison c = RunComparison.of(runDir, target);
    for (String d : c.different()) {
      System.out.println("different: " + d);
    }
    for (String m : c.missing()) {
      System.out.println("missing:   " + m);
    }
    int total = c.identical().size() + c.different().size() + c.missing().size();
    System.out.printf("%d of %d arrays identical: %s%n", c.identical().size(), total,
        c.allIdentical() ? "REPRODUCED" : "NOT REPRODUCED");
    return c.allIdentical() ? 0 : 4;
  }
}

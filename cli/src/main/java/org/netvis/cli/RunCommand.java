package org.netvis.cli;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.netvis.engine.experiment.Experiment;
import org.netvis.engine.experiment.ExperimentLoader;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.runtime.OrtEnvironments;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.run.ExperimentRunner;
import org.netvis.engine.run.RunOutcome;
import org.netvis.engine.runtime.EngineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs an experiment file into a run directory. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run an experiment (.yaml, .yml or .json) into runs/<UTC timestamp>-<name>/ or --out.")
final class RunCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "The experiment file.")
  Path experiment;

  @Option(names = "--out", description = "The run directory (default: runs/<UTC timestamp>-<name>).")
  Path out;

  @Option(names = "--set", description = "Override a value, e.g. --set steps[1].params.target=7 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Mixin PluginOptions plugins;

  @Override
  public Integer call() {
    OrtEnvironments.warmUp();
    org.netvis.engine.image.Figure.warmUp();
    return execute(experiment, overrides, out, plugins.registry());
  }

  static int execute(Path file, List<String> overrides, Path out, PluginRegistry registry) {
    ModelRegistry models = ModelRegistry.fromEnvironment(System.console() != null);
    Experiment e = new ExperimentLoader(registry, models,
        org.netvis.engine.dataset.DatasetRegistry.fromEnvironment(System.console() != null)).load(file, overrides);
    Path target = out != null ? out : ExperimentRunner.defaultDirectory(Path.of("runs"), e.name(), Instant.now());
    ExperimentRunner runner = new ExperimentRunner(registry, models, new LogbackRunLog(), System.console() != null,
        EngineOptions.defaults());
    RunOutcome outcome = runner.run(e, target);
    System.out.printf("%s: %s%n", outcome.status(), outcome.directory());
    Path report = outcome.directory().resolve(org.netvis.engine.report.RunReport.FILE);
    if (java.nio.file.Files.isRegularFile(report)) {
      System.out.printf("report: %s%n", report);
    }
    if (!outcome.succeeded()) {
      System.err.println("netvis: error: run " + outcome.status() + ": " + outcome.reason());
      return "interrupted".equals(outcome.status()) ? 130 : 1;
    }
    return 0;
  }
}

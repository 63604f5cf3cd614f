package org.netvis.cli;

import java.util.concurrent.Callable;
import org.netvis.engine.check.FiniteDifferenceCheck;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Derives the gradient graph and checks it against finite differences. */
@Command(name = "check-model", mixinStandardHelpOptions = true,
    description = "Derive a model's gradient graph and check it against finite differences on random inputs.")
final class CheckModelCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "Model id or path to an .onnx file.")
  String model;

  @Option(names = "--inputs", defaultValue = "2", description = "Random inputs (default: ${DEFAULT-VALUE}).")
  int inputs;

  @Option(names = "--directions", defaultValue = "4", description = "Directions per input (default: ${DEFAULT-VALUE}).")
  int directions;

  @Option(names = "--tolerance", defaultValue = "1e-2", description = "Largest relative error that passes (default: ${DEFAULT-VALUE}).")
  double tolerance;

  @Option(names = "--seed", defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin ModelOptions options;

  @Override
  public Integer call() throws Exception {
    if (inputs < 1 || directions < 1) {
      throw new IllegalArgumentException("--inputs and --directions must be at least 1");
    }
    try (Engine engine = options.open(model)) {
      var companion = engine.gradientGraph(VjpSpec.DEFAULT, engine.inputHeight(), engine.inputWidth());
      System.out.printf("model      %s (sha256 %s)%n", engine.model().path(), engine.model().sha256());
      System.out.printf("gradient   %s (%s, sha256 %s)%n", companion.file() == null ? "(not saved)" : companion.file(),
          companion.rebuilt() ? "derived now" : "reused", companion.sha256());
      FiniteDifferenceCheck.Settings s = new FiniteDifferenceCheck.Settings(inputs, directions,
          FiniteDifferenceCheck.Settings.DEFAULT.elementStep(), tolerance, seed);
      FiniteDifferenceCheck.Report report = FiniteDifferenceCheck.run(engine, s);
      for (FiniteDifferenceCheck.Probe p : report.probes()) {
        System.out.printf("input %d direction %d: finite difference %+.6e  gradient %+.6e  relative error %.2e%n",
            p.input(), p.direction(), p.finiteDifference(), p.analytic(), p.relativeError());
      }
      System.out.printf("largest relative error %.3e (tolerance %.1e): %s%n", report.maxRelativeError(), tolerance,
          report.passed() ? "PASS" : "FAIL");
      return report.passed() ? 0 : 3;
    }
  }
}

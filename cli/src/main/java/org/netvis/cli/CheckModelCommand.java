package org.netvis.cli;

import java.util.concurrent.Callable;
import org.netvis.engine.check.FiniteDifferenceCheck;
import org.netvis.engine.check.ReferenceGradientCheck;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Derives the gradient graph and checks it against finite differences, and against float64
 * reference gradients where a {@code .ref} directory is given or sits beside the model.
 */
@Command(name = "check-model", mixinStandardHelpOptions = true,
    header = "Derive a model's gradient graph and check it against finite differences and reference gradients.",
    description = "Checks on random inputs against finite differences, and against reference gradients"
        + " (--reference DIR, or NAME.ref/ beside NAME.onnx) when there are some. Exit status 3 when a check"
        + " fails or when no check could resolve anything.")
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

  @Option(names = "--reference", description = "Directory with input.npy, cotangent.npy and grad_input.npy "
      + "(float64 autograd, the model's layout); default: NAME.ref beside the model file.")
  java.nio.file.Path reference;

  @Mixin ModelOptions options;

  private static String format(double[] values) {
    return java.util.Arrays.toString(java.util.Arrays.stream(values).mapToObj(e -> String.format("%.2e", e)).toArray());
  }

  /** Whether both graphs would run wholly on ONNX Runtime's CUDA provider (a report, not a failure). */
  private static void reportCudaKernels(Engine engine, org.netvis.engine.runtime.CompanionGraphs.Companion companion) {
    var kernels = org.netvis.engine.runtime.CudaKernels.published();
    var forward = kernels.fallbacks(engine.graph().proto());
    var gradient = kernels.fallbacks(companion.graph().proto());
    if (forward.isEmpty() && gradient.isEmpty()) {
      System.out.println("cuda       every operator of the forward and gradient graphs has a CUDA kernel: no CPU fallback");
      return;
    }
    System.out.printf("cuda       %d forward and %d gradient nodes have no CUDA kernel and would run on the CPU: %s%n",
        forward.size(), gradient.size(), String.join(", ", org.netvis.engine.runtime.CudaKernels.types(
            java.util.stream.Stream.concat(forward.stream(), gradient.stream()).toList())));
  }

  @Override
  public Integer call() throws Exception {
    if (inputs < 1 || directions < 1) {
      throw new IllegalArgumentException("--inputs and --directions must be at least 1");
    }
    try (Engine engine = options.open(model)) {
      var companion = engine.gradientGraph(VjpSpec.DEFAULT, engine.inputHeight(), engine.inputWidth());
      System.out.printf("model      %s (sha256 %s)%n", engine.model().path(), engine.model().sha256());
      engine.model().externalData().forEach((file, sha) -> System.out.printf("data       %s (sha256 %s)%n", file, sha));
      engine.graph().notes().values().forEach(note -> System.out.printf("note       %s%n", note));
      System.out.printf("forward    %s%n", engine.forwardPass());
      System.out.printf("gradient   %s (%s, sha256 %s)%n", companion.file() == null ? "(not saved)" : companion.file(),
          companion.rebuilt() ? "derived now" : "reused", companion.sha256());
      reportCudaKernels(engine, companion);
      FiniteDifferenceCheck.Settings s = new FiniteDifferenceCheck.Settings(inputs, directions,
          FiniteDifferenceCheck.Settings.DEFAULT.elementStep(), tolerance, seed);
      FiniteDifferenceCheck.Report report = FiniteDifferenceCheck.run(engine, s);
      for (FiniteDifferenceCheck.Probe p : report.probes()) {
        System.out.printf("input %d direction %d: finite difference %+.6e  gradient %+.6e  relative error %.2e%s%n",
            p.input(), p.direction(), p.finiteDifference(), p.analytic(), p.relativeError(),
            p.resolvable() ? "" : "  (below float32 resolution of the logits: not counted)");
      }
      boolean failed = false;
      boolean conclusive = report.conclusive();
      if (engine.graph().note("quantization") != null) {
        // Quantized scores are a staircase: finite differences see its steps, not the straight-through gradient.
        System.out.printf("finite differences: largest relative error %.3e, not counted: a quantized model's scores"
            + " are piecewise constant and its gradient is straight-through; a reference decides%n",
            report.maxRelativeError());
        conclusive = false;
      } else if (conclusive) {
        System.out.printf("finite differences: largest relative error %.3e (tolerance %.1e): %s%n",
            report.maxRelativeError(), tolerance, report.passed() ? "PASS" : "FAIL");
        failed = !report.passed();
      } else {
        System.out.println("finite differences: the logits move by less than float32 can resolve along every direction;"
            + " inconclusive");
      }
      java.nio.file.Path refDir = reference != null ? reference : ReferenceGradientCheck.besideModel(engine.model().path());
      if (refDir != null) {
        ReferenceGradientCheck.Report ref = ReferenceGradientCheck.run(engine, refDir, 1e-4, tolerance);
        System.out.printf("reference  %s: per-image relative L2 %s, lower median %.3e (tolerance 1.0e-04), max %.3e"
            + " (tolerance %.1e)%s: %s%n", refDir, format(ref.errors()), ref.lowerMedian(), ref.max(), tolerance,
            ref.float32Errors() == null ? "" : "; PyTorch's own float32 error " + format(ref.float32Errors())
                + " (bounds raised to " + (int) ReferenceGradientCheck.FLOAT32_FACTOR + "x its lower median and max)",
            ref.passed() ? "PASS" : "FAIL");
        failed |= !ref.passed();
        conclusive = true;
      }
      String verdict = failed ? "FAIL" : conclusive ? "PASS" : "INCONCLUSIVE";
      System.out.println("check-model: " + verdict);
      return verdict.equals("PASS") ? 0 : 3;
    }
  }
}

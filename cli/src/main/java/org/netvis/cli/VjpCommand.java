package org.netvis.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.netvis.engine.graph.ImageLayout;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** NumPy in, NumPy out: the input gradient of sum(cotangent * logits). */
@Command(name = "vjp", mixinStandardHelpOptions = true,
    description = "Compute logits and the input gradient of sum(cotangent * logits) for .npy arrays.")
final class VjpCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model id (see 'netvis models') or path to an .onnx file.")
  String model;

  @Option(names = "--input", required = true, description = "float32/float64 .npy of shape (N, C, H, W), model-normalized; (N, H, W, C) for a channels-last model.")
  Path input;

  @Option(names = "--cotangent", required = true, description = ".npy of shape (N, classes).")
  Path cotangent;

  @Option(names = "--output", required = true, description = "Where to write the input gradient (.npy, float32).")
  Path output;

  @Option(names = "--logits", description = "Where to write the logits (.npy, float32).")
  Path logits;

  @Mixin ModelOptions options;

  @Override
  public Integer call() throws Exception {
    Tensor ct = Npy.readTensor(cotangent);
    try (Engine engine = options.open(model)) {
      // Arrays come and go in the model file's own layout (channels-last for NHWC exports).
      ImageLayout layout = engine.graph().layout();
      Tensor x = Npy.readTensor(input);
      if (x.rank() != 4) {
        throw new IllegalArgumentException(input + ": array of shape " + java.util.Arrays.toString(x.shape())
            + "; expected 4-D input in the model's layout " + layout);
      }
      VjpResult r = engine.vjp(layout.toNchw(x), ct);
      Tensor gradient = layout.fromNchw(r.inputGradient());
      Npy.write(output, gradient);
      if (logits != null) {
        Npy.write(logits, r.logits());
      }
      System.out.printf("wrote %s %s (%s)%n", output, java.util.Arrays.toString(gradient.shape()),
          engine.executionProvider());
    }
    return 0;
  }
}

package org.netvis.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.netvis.engine.graph.BackwardContext;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.GradientGraphBuilder.LayerTensor;
import org.netvis.engine.runtime.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Every tensor on the gradient path: the names Grad-CAM layers and feature-visualization units take. */
@Command(name = "layers", mixinStandardHelpOptions = true,
    header = "List every internal tensor on a model's gradient path, with its operator, node and shape.",
    description = "A tensor is on the gradient path when it depends on the image and the logits depend on it;"
        + " shapes are at the model's input size (N = batch).")
final class LayersCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "Model id or path to an .onnx file.")
  String model;

  @Mixin ModelOptions options;

  @Option(names = "--modules", description = "List the PyTorch modules instead (where torch.onnx scoped the nodes by"
      + " module), each with the tensor its name stands for: its output.")
  boolean modules;

  @Override
  public Integer call() throws Exception {
    try (Engine engine = options.open(model)) {
      if (modules) {
        Map<String, LayerTensor> byModule = engine.layerLookup().modules();
        if (byModule.isEmpty()) {
          System.out.printf("%s: no modules: its nodes are not named by PyTorch module (/layer4/layer4.1/conv2/Conv);"
              + " name its tensors, as `netvis layers %s` lists them%n", engine.model().id(), model);
          return 0;
        }
        int width = Math.max(6, byModule.keySet().stream().mapToInt(String::length).max().orElse(6));
        String row = "%-" + width + "s  %-22s  %s%n";
        System.out.printf("%s: %d modules on the gradient path%n", engine.model().id(), byModule.size());
        System.out.printf(row, "module", "shape", "output");
        byModule.forEach((m, l) -> System.out.printf(row, m, BackwardContext.describe(l.shape()), l.name()));
        return 0;
      }
      List<LayerTensor> layers = new GradientGraphBuilder().gradientPath(engine.graph(), engine.inputHeight(),
          engine.inputWidth());
      int width = Math.max(6, layers.stream().mapToInt(l -> l.name().length()).max().orElse(6));
      int opWidth = Math.max(2, layers.stream().mapToInt(l -> l.opType().length()).max().orElse(2));
      String row = "%-" + width + "s  %-" + opWidth + "s  %-22s  %-6s  %s%n";
      System.out.printf("%s (%s, input %s %dx%d): %d tensors on the gradient path%n", engine.model().id(),
          engine.graph().layout(), engine.graph().inputName(), engine.inputHeight(), engine.inputWidth(), layers.size());
      System.out.printf(row, "tensor", "op", "shape", "layout", "node");
      for (LayerTensor l : layers) {
        System.out.printf(row, l.name(), l.opType(), BackwardContext.describe(l.shape()),
            l.layout() != null ? l.layout().name() : "-", l.nodeName());
      }
    }
    return 0;
  }
}

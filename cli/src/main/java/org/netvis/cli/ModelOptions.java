package org.netvis.cli;

import java.io.IOException;
import java.util.List;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.runtime.Device;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;
import picocli.CommandLine.Option;

/** Options shared by commands that open a model. */
final class ModelOptions {
  @Option(names = "--device", defaultValue = "auto", description = "auto | cpu | cuda (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(names = "--threads", defaultValue = "0",
      description = "ONNX Runtime intra-op threads; 0 = one per physical core (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--size", description = "Input height and width for a plain .onnx file (default 224).")
  Integer size;

  @Option(names = "--mean", split = ",", description = "Per-channel mean for a plain .onnx file (default ImageNet).")
  List<Double> mean;

  @Option(names = "--std", split = ",", description = "Per-channel std for a plain .onnx file (default ImageNet).")
  List<Double> std;

  Preprocessing preprocessing() {
    Preprocessing p = Preprocessing.IMAGENET;
    if (size != null) {
      p = p.withSize(size);
    }
    if (mean != null || std != null) {
      p = new Preprocessing(p.resize(), p.crop(), p.color(), p.scale(),
          mean != null ? mean : p.mean(), std != null ? std : p.std());
    }
    return p;
  }

  EngineOptions engineOptions() {
    return EngineOptions.defaults().withDevice(Device.parse(device)).withThreads(threads);
  }

  Engine open(String model) throws IOException {
    ResolvedModel resolved = ModelRegistry.fromEnvironment(System.console() != null).resolve(model, preprocessing());
    return Engine.open(resolved, engineOptions());
  }
}

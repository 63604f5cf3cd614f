package org.netvis.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.netvis.engine.download.Downloader;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;

/** A tiny model (3x8x8 in, 5 classes) with .npy inputs, for fast experiment and run tests. */
public final class TinyExperiment {
  public final Path dir;
  public final Path model;
  public final Path inputs;

  public TinyExperiment(Path dir) throws Exception {
    this.dir = dir;
    TestGraph g = new TestGraph(17, 3, 3, 8, 8);
    String pooled = g.op("GlobalAveragePool", List.of(g.op("Relu", List.of(g.op("Conv",
        List.of("x", g.random(0.5, 5, 3, 3, 3)), "pads", new long[] {1, 1, 1, 1})))));
    model = g.save(dir, "tiny", pooled, 5);
    Tensor x = Tensor.zeros(3, 3, 8, 8);
    Random r = new Random(1);
    for (int i = 0; i < x.size(); i++) {
      x.data()[i] = (float) r.nextGaussian();
    }
    inputs = dir.resolve("inputs.npy");
    Npy.write(inputs, x);
  }

  public Path write(String fileName, String text) throws Exception {
    Path f = dir.resolve(fileName);
    Files.writeString(f, text);
    return f;
  }

  /** A YAML experiment with the given steps block (indented list items). */
  public Path yaml(String fileName, String steps) throws Exception {
    return write(fileName, "name: tiny-run\nmodel: tiny.onnx\ndevice: cpu\nseed: 7\ninputs: [inputs.npy]\nsteps:\n" + steps);
  }

  public static ModelRegistry emptyModels(Path dir) {
    return new ModelRegistry(List.of(), dir.resolve("cache"), new Downloader(false));
  }

  public static PluginRegistry plugins() {
    return PluginRegistry.discover(List.of());
  }

}

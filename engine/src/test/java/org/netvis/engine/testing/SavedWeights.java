package org.netvis.engine.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;

/**
 * Random constants added to a {@link TestGraph}, each kept under a name to be written beside the
 * model as {@code CASE_NAME.npy} for a PyTorch reference that rebuilds the network.
 */
public final class SavedWeights {
  private final Map<String, Tensor> saved = new LinkedHashMap<>();
  private final TestGraph graph;
  private final Random random;

  public SavedWeights(TestGraph graph, long seed) {
    this.graph = graph;
    this.random = new Random(seed);
  }

  /** Gaussian weights (standard deviation 0.6) of {@code shape}, as a constant of the graph. */
  public String floats(String name, long... shape) {
    return floats(name, 0.6, shape);
  }

  /** Gaussian weights with standard deviation {@code std}, as a constant of the graph. */
  public String floats(String name, double std, long... shape) {
    Tensor t = RandomTensors.gaussian(random, std, shape);
    saved.put(name, t);
    return graph.floats(t.data(), shape);
  }

  /** A boolean mask (saved as 0/1 floats) with its first key always kept, so no row is wholly masked. */
  public String mask(long... shape) {
    Tensor t = Tensor.zeros(shape);
    boolean[] values = new boolean[t.size()];
    long keys = shape[shape.length - 1];
    for (int i = 0; i < values.length; i++) {
      values[i] = i % keys == 0 || random.nextDouble() < 0.6;
      t.data()[i] = values[i] ? 1 : 0;
    }
    saved.put("mask", t);
    return graph.bools(values, shape);
  }

  /** Writes each constant as {@code dir/CASE_NAME.npy}. */
  public void write(Path dir, String caseId) throws IOException {
    for (Map.Entry<String, Tensor> w : saved.entrySet()) {
      Npy.write(dir.resolve(caseId + "_" + w.getKey() + ".npy"), w.getValue());
    }
  }
}

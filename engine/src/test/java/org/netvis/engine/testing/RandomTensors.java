package org.netvis.engine.testing;

import java.util.Random;
import org.netvis.engine.tensor.Tensor;

/** Random tensors for tests: inputs, cotangents and weights drawn from a seeded generator. */
public final class RandomTensors {
  private RandomTensors() {}

  /** Normal values times {@code scale}, drawn in order from {@code random}. */
  public static Tensor gaussian(Random random, double scale, long... shape) {
    Tensor t = Tensor.zeros(shape);
    for (int i = 0; i < t.size(); i++) {
      t.data()[i] = (float) (random.nextGaussian() * scale);
    }
    return t;
  }
}

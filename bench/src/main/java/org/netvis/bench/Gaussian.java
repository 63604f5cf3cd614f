package org.netvis.bench;

import java.util.Random;

/** Seeded N(0, 1) arrays: the inputs and cotangents every benchmark feeds. */
final class Gaussian {
  private Gaussian() {}

  static float[] values(int count, long seed) {
    Random r = new Random(seed);
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      out[i] = (float) r.nextGaussian();
    }
    return out;
  }
}

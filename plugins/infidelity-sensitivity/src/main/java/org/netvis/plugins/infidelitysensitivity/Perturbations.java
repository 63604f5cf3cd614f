package org.netvis.plugins.infidelitysensitivity;

import java.util.Random;
import java.util.function.IntUnaryOperator;
import org.netvis.engine.run.Seeds;
import org.netvis.engine.run.SeededRandom;

/**
 * The metrics' random perturbations, one generator per image (the step's seed and the image's
 * data-set index, so batching never changes a value), apart from the streams the evaluated methods
 * draw from with the same step seed: a method's own noise (GradientSHAP's draws, SmoothGrad's) and a
 * metric's perturbation would otherwise be the same numbers.
 */
final class Perturbations {
  /** Mixed into the step's seed: the metrics' streams are not the methods'. */
  private static final long SALT = 0x6d65747269637321L;

  /** Where a metric takes its perturbations from: image i's next one into out[offset, offset + length). */
  interface Draws {
    void next(int image, float[] out, int offset, int length);
  }

  private final Random[] generators;

  Perturbations(long stepSeed, IntUnaryOperator itemIndex, int images) {
    generators = new Random[images];
    long seed = Seeds.mix(stepSeed ^ SALT);
    for (int i = 0; i < images; i++) {
      generators[i] = SeededRandom.forItem(seed, itemIndex.applyAsInt(i));
    }
  }

  /** Image i's next Gaussian perturbation of standard deviation {@code stdev}, into out[offset, offset + length). */
  void gaussian(int image, double stdev, float[] out, int offset, int length) {
    Random r = generators[image];
    for (int k = offset; k < offset + length; k++) {
      out[k] = (float) (stdev * r.nextGaussian());
    }
  }

  /** Image i's next perturbation uniform on [-radius, radius), into out[offset, offset + length). */
  void uniform(int image, double radius, float[] out, int offset, int length) {
    Random r = generators[image];
    for (int k = offset; k < offset + length; k++) {
      out[k] = (float) ((2.0 * r.nextFloat() - 1.0) * radius);
    }
  }
}

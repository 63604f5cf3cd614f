package org.netvis.engine.run;

import java.util.Random;

/**
 * {@link Random}'s sequence, value for value, without its atomic seed and its lock: the algorithms
 * Random's documentation specifies (the 48-bit linear congruential generator, {@code nextDouble} from
 * two draws, the polar method for {@code nextGaussian}), so every method built on {@link #next} gives
 * what Random gives for the same seed. Random pays a compare-and-set per draw and a lock per Gaussian,
 * which the noise tunnel's millions of draws felt: 55 ns a Gaussian against 22 here (bench's
 * {@code RandomDraws}; bench/README.md, thirty-second session). For one thread at a time, as each
 * image's generator is used.
 */
public final class SeededRandom extends Random {
  private static final long MULTIPLIER = 0x5DEECE66DL;
  private static final long ADDEND = 0xBL;
  private static final long MASK = (1L << 48) - 1;

  // No initializers: Random's constructor sets these through setSeed, before they would run.
  private long state;
  private double nextNextGaussian;
  private boolean haveNextNextGaussian;

  public SeededRandom(long seed) {
    super(seed);
  }

  /** The generator of item {@code index} within a step ({@link Seeds#forItem}): an image, a target class. */
  public static SeededRandom forItem(long stepSeed, int index) {
    return new SeededRandom(Seeds.forItem(stepSeed, index));
  }

  @Override
  public void setSeed(long seed) {
    state = (seed ^ MULTIPLIER) & MASK;
    haveNextNextGaussian = false;
  }

  @Override
  protected int next(int bits) {
    state = (state * MULTIPLIER + ADDEND) & MASK;
    return (int) (state >>> (48 - bits));
  }

  @Override
  public double nextGaussian() {
    if (haveNextNextGaussian) {
      haveNextNextGaussian = false;
      return nextNextGaussian;
    }
    double v1;
    double v2;
    double s;
    do {
      v1 = 2 * nextDouble() - 1;
      v2 = 2 * nextDouble() - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s == 0);
    double multiplier = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
    nextNextGaussian = v2 * multiplier;
    haveNextNextGaussian = true;
    return v1 * multiplier;
  }
}

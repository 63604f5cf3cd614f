package org.netvis.engine.run;

/** Derives independent, reproducible seeds from one experiment seed (SplitMix64 mixing). */
public final class Seeds {
  private Seeds() {}

  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** The seed of step {@code index}: the same experiment seed always gives the same step seeds. */
  public static long forStep(long experimentSeed, int index) {
    return mix(experimentSeed + 0x9e3779b97f4a7c15L * (index + 1));
  }

  /** A sub-seed for item {@code index} within a step (an image, a target class). */
  public static long forItem(long stepSeed, int index) {
    return mix(stepSeed ^ mix(index + 0x632be59bd9b4e019L));
  }
}

package org.netvis.bench;

import java.util.Random;
import org.netvis.engine.run.SeededRandom;

/**
 * Nanoseconds per Gaussian draw, {@link Random} against {@link SeededRandom} (the same values, checked
 * here by their sum), alternating in one run: five rounds of 20 million draws each, the last three
 * timed. Usage: RandomDraws (no arguments).
 */
public final class RandomDraws {
  private static final int DRAWS = 20_000_000;

  private RandomDraws() {}

  public static void main(String[] args) {
    for (int round = 0; round < 5; round++) {
      long t0 = System.nanoTime();
      double a = sum(new Random(round));
      long t1 = System.nanoTime();
      double b = sum(new SeededRandom(round));
      long t2 = System.nanoTime();
      if (round >= 2) {
        System.out.printf("round %d: java.util.Random %.1f ns, SeededRandom %.1f ns a Gaussian, the same values: %b%n",
            round, (t1 - t0) / (double) DRAWS, (t2 - t1) / (double) DRAWS, a == b);
      }
    }
  }

  private static double sum(Random r) {
    double s = 0;
    for (int i = 0; i < DRAWS; i++) {
      s += r.nextGaussian();
    }
    return s;
  }
}

package org.netvis.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SeededRandomTest {
  private static final long[] SEEDS =
      {0, 1, -1, 42, Long.MIN_VALUE, Long.MAX_VALUE, Seeds.forItem(Seeds.forStep(0, 3), 7)};

  @Test
  void drawsWhatJavaUtilRandomDrawsForTheSameSeed() {
    for (long seed : SEEDS) {
      Random expected = new Random(seed);
      Random actual = new SeededRandom(seed);
      // Interleaved so that a cached second Gaussian has to survive other draws.
      for (int i = 0; i < 20_000; i++) {
        String at = "seed " + seed + ", draw " + i;
        switch (i % 9) {
          case 0, 1, 2 -> assertEquals(bits(expected.nextGaussian()), bits(actual.nextGaussian()), at);
          case 3 -> assertEquals(bits(expected.nextDouble()), bits(actual.nextDouble()), at);
          case 4 -> assertEquals(expected.nextInt(17), actual.nextInt(17), at);
          case 5 -> assertEquals(expected.nextInt(64), actual.nextInt(64), at);
          case 6 -> assertEquals(expected.nextLong(), actual.nextLong(), at);
          case 7 -> assertEquals(Float.floatToRawIntBits(expected.nextFloat()),
              Float.floatToRawIntBits(actual.nextFloat()), at);
          default -> assertEquals(expected.nextBoolean(), actual.nextBoolean(), at);
        }
      }
    }
  }

  @Test
  void setSeedStartsTheSequenceAgainAndDropsACachedGaussian() {
    Random expected = new Random(5);
    Random actual = new SeededRandom(5);
    assertEquals(bits(expected.nextGaussian()), bits(actual.nextGaussian()));
    expected.setSeed(9);
    actual.setSeed(9);
    for (int i = 0; i < 1000; i++) {
      assertEquals(bits(expected.nextGaussian()), bits(actual.nextGaussian()), "draw " + i);
    }
  }

  private static long bits(double v) {
    return Double.doubleToRawLongBits(v);
  }
}

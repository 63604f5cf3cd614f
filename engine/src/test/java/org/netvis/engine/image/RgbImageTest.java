package org.netvis.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** Nearest-neighbour scaling, worked out by hand. */
class RgbImageTest {
  @Test
  void scalingRepeatsEachPixelAsACell() {
    RgbImage two = new RgbImage(2, 1, new int[] {10, 20, 30, 40, 50, 60}, null);
    RgbImage scaled = two.scaledNearest(4, 2);
    int[] row = {10, 20, 30, 10, 20, 30, 40, 50, 60, 40, 50, 60};
    int[] expected = new int[24];
    System.arraycopy(row, 0, expected, 0, 12);
    System.arraycopy(row, 0, expected, 12, 12);
    assertArrayEquals(expected, scaled.rgb());
    // 3 cells over 7 pixels: floor(x * 3 / 7) = 0, 0, 0, 1, 1, 2, 2.
    RgbImage three = new RgbImage(3, 1, new int[] {1, 1, 1, 2, 2, 2, 3, 3, 3}, null);
    int[] seven = three.scaledNearest(7, 1).rgb();
    int[] firsts = new int[7];
    for (int x = 0; x < 7; x++) {
      firsts[x] = seven[x * 3];
    }
    assertArrayEquals(new int[] {1, 1, 1, 2, 2, 3, 3}, firsts);
    assertSame(two, two.scaledNearest(2, 1));
  }
}

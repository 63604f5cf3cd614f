package org.netvis.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The jitter roll against values worked out by hand. */
class RollTest {

  @Test
  void rollMovesContentRightAndDownAndWraps() {
    // 1 channel, 2 rows x 3 columns: [[1, 2, 3], [4, 5, 6]].
    float[] img = {1, 2, 3, 4, 5, 6};
    assertArrayEquals(new float[] {3, 1, 2, 6, 4, 5}, Roll.of(img, 1, 2, 3, 1, 0));
    assertArrayEquals(new float[] {4, 5, 6, 1, 2, 3}, Roll.of(img, 1, 2, 3, 0, 1));
    assertArrayEquals(new float[] {5, 6, 4, 2, 3, 1}, Roll.of(img, 1, 2, 3, 2, 1));
    assertArrayEquals(img, Roll.of(Roll.of(img, 1, 2, 3, 2, 1), 1, 2, 3, -2, -1), "undoing the roll");
  }

  @Test
  void rollIntoWritesAtTheOffsets() {
    float[] img = {0, 1, 2, 3, 4, 5, 6};
    float[] dst = new float[8];
    Roll.into(img, 1, dst, 2, 1, 2, 3, 1, 0);
    assertArrayEquals(new float[] {0, 0, 3, 1, 2, 6, 4, 5}, dst);
  }
}

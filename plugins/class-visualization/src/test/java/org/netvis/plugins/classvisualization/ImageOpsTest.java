package org.netvis.plugins.classvisualization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The loop's roll and clamp against values worked out by hand (the blur is tested in the engine). */
class ImageOpsTest {

  @Test
  void rollMovesContentRightAndDownAndWraps() {
    // 1 channel, 2 rows x 3 columns: [[1, 2, 3], [4, 5, 6]].
    float[] img = {1, 2, 3, 4, 5, 6};
    assertArrayEquals(new float[] {3, 1, 2, 6, 4, 5}, ImageOps.roll(img, 1, 2, 3, 1, 0));
    assertArrayEquals(new float[] {4, 5, 6, 1, 2, 3}, ImageOps.roll(img, 1, 2, 3, 0, 1));
    assertArrayEquals(new float[] {5, 6, 4, 2, 3, 1}, ImageOps.roll(img, 1, 2, 3, 2, 1));
    assertArrayEquals(img, ImageOps.roll(ImageOps.roll(img, 1, 2, 3, 2, 1), 1, 2, 3, -2, -1), "undoing the roll");
  }

  @Test
  void clampUsesEachChannelsOwnBounds() {
    float[] img = {-5, 0, 5, -5, 0, 5};
    ImageOps.clamp(img, 2, new float[] {-1, 0.5f}, new float[] {1, 2});
    assertArrayEquals(new float[] {-1, 0, 1, 0.5f, 0.5f, 2}, img);
  }
}

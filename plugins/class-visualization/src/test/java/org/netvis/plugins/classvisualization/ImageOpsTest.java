package org.netvis.plugins.classvisualization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The loop's clamp against values worked out by hand (the roll and the blur are tested in the engine). */
class ImageOpsTest {

  @Test
  void clampUsesEachChannelsOwnBounds() {
    float[] img = {-5, 0, 5, -5, 0, 5};
    ImageOps.clamp(img, 2, new float[] {-1, 0.5f}, new float[] {1, 2});
    assertArrayEquals(new float[] {-1, 0, 1, 0.5f, 0.5f, 2}, img);
  }
}

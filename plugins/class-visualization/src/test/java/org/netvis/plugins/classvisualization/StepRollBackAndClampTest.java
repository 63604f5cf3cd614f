package org.netvis.plugins.classvisualization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.netvis.engine.image.Roll;

/**
 * The loop's fused update against its three steps one after the other: the step, the engine's Roll
 * back, and a per-channel clamp written out here; bit for bit, for every shift including none and
 * shifts past the size, and with the image at an offset in the batch.
 */
class StepRollBackAndClampTest {

  @Test
  void equalsTheStepThenTheRollThenTheClamp() {
    int c = 3;
    int size = 7;
    int item = c * size * size;
    float[][] range = {{-1.5f, -0.5f, -2f}, {1.5f, 0.5f, 2f}};
    Random random = new Random(3);
    for (int[] shift : new int[][] {{0, 0}, {1, 0}, {0, 1}, {-3, 2}, {6, -6}, {9, -10}, {-7, 7}}) {
      int offset = item;
      float[] batch = new float[2 * item];
      float[] g = new float[2 * item];
      for (int i = 0; i < batch.length; i++) {
        batch[i] = (float) random.nextGaussian();
        g[i] = (float) random.nextGaussian();
      }
      float scale = 0.7f;
      float[] stepped = new float[item];
      for (int i = 0; i < item; i++) {
        stepped[i] = batch[offset + i] + g[offset + i] * scale;
      }
      float[] expected = Roll.of(stepped, c, size, size, shift[0], shift[1]);
      for (int ch = 0; ch < c; ch++) {
        for (int i = ch * size * size; i < (ch + 1) * size * size; i++) {
          expected[i] = Math.max(range[0][ch], Math.min(range[1][ch], expected[i]));
        }
      }
      float[] image = new float[item];
      ClassVisualization.stepRollBackAndClamp(batch, offset, g, scale, image, c, size, shift[0], shift[1], range);
      assertArrayEquals(expected, image, "shift " + shift[0] + ", " + shift[1]);
    }
  }
}

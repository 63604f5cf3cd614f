package org.netvis.plugins.featurevisualization;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RenderedImagesTest {
  /** A cosine of amplitude a has mean square a^2 / 2; it counts only above 0.25 cycles per pixel. */
  @Test
  void highFrequencyEnergyIsThePowerAboveHalfNyquist() {
    int size = 16;
    for (double[] c : new double[][] {{0.375, 0.125}, {0.3125, 0.125}, {0.125, 0}, {0.25, 0}}) {
      float[] image = new float[3 * size * size];
      for (int ch = 0; ch < 3; ch++) {
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            image[ch * size * size + y * size + x] = (float) (0.5 + 0.5 * Math.cos(2 * Math.PI * c[0] * x));
          }
        }
      }
      assertEquals(c[1], RenderedImages.highFrequencyEnergy(image, size), 1e-6, "frequency " + c[0]);
    }
  }
}

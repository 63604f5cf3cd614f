package org.netvis.plugins.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AttacksArithmeticTest {
  @Test
  void signIsMathSignumBitForBit() {
    float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, 1e-30f, -1e-30f,
        0.5f, -0.5f, 1f, -1f, 3e7f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.NaN};
    for (float g : special) {
      assertEquals(Float.floatToRawIntBits(Math.signum(g)), Float.floatToRawIntBits(Attacks.sign(g)), "sign(" + g + ")");
    }
    Random r = new Random(7);
    for (int i = 0; i < 1_000_000; i++) {
      // Every bit pattern: subnormals, huge values and NaN payloads included.
      float g = Float.intBitsToFloat(r.nextInt());
      if (!Float.isNaN(g)) {
        assertEquals(Math.signum(g), Attacks.sign(g), "sign(" + g + ")");
      }
    }
  }

  @Test
  void clampKeepsZeroPositiveAndNaN() {
    assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(Attacks.clamp01(-0f)));
    assertEquals(0f, Attacks.clamp01(-1e-9f));
    assertEquals(1f, Attacks.clamp01(1.5f));
    assertEquals(0.25f, Attacks.clamp01(0.25f));
    assertEquals(Float.NaN, Attacks.clamp01(Float.NaN));
  }
}

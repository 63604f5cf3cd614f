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

  /**
   * Square's margin and loss on logits written out: untargeted, the label's logit less the largest
   * other one (the loss too, or minus the cross-entropy); targeted, the other way round, with the
   * target's cross-entropy as the loss.
   */
  @Test
  void squaresMarginAndLossFollowAutoAttack() {
    org.netvis.engine.tensor.Tensor z = new org.netvis.engine.tensor.Tensor(new long[] {2, 3},
        new float[] {2f, 5f, 1f, -1f, 0f, 3f});
    long[] labels = {1, 0};
    float[][] margin = Square.marginAndLoss(z, labels, false, AttackParameters.Square.Loss.MARGIN);
    assertEquals(3f, margin[0][0]); // 5 - 2
    assertEquals(-4f, margin[0][1]); // -1 - 3: already fooled
    assertEquals(3f, margin[1][0]);
    double ce0 = Math.log(Math.exp(2) + Math.exp(5) + Math.exp(1)) - 5;
    double ce1 = Math.log(Math.exp(-1) + Math.exp(0) + Math.exp(3)) + 1;
    float[][] ce = Square.marginAndLoss(z, labels, false, AttackParameters.Square.Loss.CE);
    assertEquals(3f, ce[0][0]);
    assertEquals(-ce0, ce[1][0], 1e-6);
    assertEquals(-ce1, ce[1][1], 1e-6);
    // Targeted at class 2: fooled once the target leads; the loss the margin, or the target's cross-entropy.
    long[] target = {2, 2};
    float[][] t = Square.marginAndLoss(z, target, true, AttackParameters.Square.Loss.MARGIN);
    assertEquals(4f, t[0][0]); // max(2, 5) - 1
    assertEquals(-3f, t[0][1]); // max(-1, 0) - 3: the target leads
    assertEquals(4f, t[1][0]);
    float[][] tce = Square.marginAndLoss(z, target, true, AttackParameters.Square.Loss.CE);
    assertEquals(-3f, tce[0][1]);
    assertEquals(Math.log(Math.exp(2) + Math.exp(5) + Math.exp(1)) - 1, tce[1][0], 1e-6);
    assertEquals(Math.log(Math.exp(-1) + Math.exp(0) + Math.exp(3)) - 3, tce[1][1], 1e-6);
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

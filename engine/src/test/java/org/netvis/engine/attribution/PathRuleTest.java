package org.netvis.engine.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The rules' points and weights against Captum's approximation_parameters, worked out by hand. */
class PathRuleTest {
  @Test
  void rulesAreCaptumsApproximationParameters() {
    PathRule.Points gl = PathRule.GAUSSLEGENDRE.points(3);
    double r = Math.sqrt(3.0 / 5.0);
    assertArrayEquals(new double[] {0.5 * (1 - r), 0.5, 0.5 * (1 + r)}, gl.alphas(), 1e-12);
    assertArrayEquals(new double[] {5.0 / 18, 8.0 / 18, 5.0 / 18}, gl.weights(), 1e-12);
    assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75}, PathRule.RIEMANN_LEFT.points(4).alphas(), 1e-12);
    assertArrayEquals(new double[] {0.25, 0.5, 0.75, 1}, PathRule.RIEMANN_RIGHT.points(4).alphas(), 1e-12);
    assertArrayEquals(new double[] {0.125, 0.375, 0.625, 0.875}, PathRule.RIEMANN_MIDDLE.points(4).alphas(), 1e-12);
    PathRule.Points trapezoid = PathRule.RIEMANN_TRAPEZOID.points(5);
    assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, trapezoid.alphas(), 1e-12);
    assertArrayEquals(new double[] {0.125, 0.25, 0.25, 0.25, 0.125}, trapezoid.weights(), 1e-12);
    for (PathRule rule : PathRule.values()) {
      assertEquals(1.0, java.util.Arrays.stream(rule.points(7).weights()).sum(), 1e-12, rule.toString());
    }
    IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
        () -> PathRule.RIEMANN_TRAPEZOID.points(1));
    assertEquals("steps: the trapezoid rule needs at least 2 points, got 1", one.getMessage());
  }
}

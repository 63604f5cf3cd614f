package org.netvis.engine.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.netvis.engine.tensor.Tensor;

/** The upsampling against F.interpolate's values for a 2x2 map, worked out by hand. */
class InterpolationTest {
  @Test
  void upsamplingIsPyTorchs() {
    // F.interpolate([[0, 1], [2, 3]], size=(4, 4), mode="bilinear", align_corners=False), row 0 and row 1.
    Tensor t = new Tensor(new long[] {1, 1, 2, 2}, new float[] {0, 1, 2, 3});
    Tensor b = Interpolation.BILINEAR.apply(t, 4, 4);
    assertArrayEquals(new float[] {0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f}, Arrays.copyOf(b.data(), 8), 1e-6f);
    Tensor n = Interpolation.NEAREST.apply(t, 4, 4);
    assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}, n.data());
    assertSame(t, Interpolation.NONE.apply(t, 4, 4));
  }
}

package org.netvis.plugins.occlusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;

/** Occlusion against the PyTorch reference, and Captum's window count. */
class OcclusionTest {
  @TempDir Path dir;

  @Test
  void windowCountsAreCaptums() {
    // ceil((224 - 15) / 8) + 1 = 28 positions along each side; one along the channels.
    assertArrayEquals(new int[] {1, 28, 28}, Occlusion.counts(new long[] {3, 224, 224}, List.of(3, 15, 15), List.of(3, 8, 8)));
    // ceil(192 / 16) + 1 = 13 and ceil(178 / 16) + 1 = 13, the last window cropped at the border.
    assertArrayEquals(new int[] {1, 13, 13}, Occlusion.counts(new long[] {3, 224, 210}, List.of(3, 32, 32), List.of(3, 16, 16)));
  }

  @Test
  void matchesTheReference() throws Exception {
    AttributionReference.compute(dir, "occlusion");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Attribution occlusion = s.context.attributions().create("occlusion",
          Map.of("window", List.of(3, 48, 48), "strides", List.of(3, 24, 24)), s.context, "params");
      Tensor a = occlusion.attribute(AttributionReference.inputs(), AttributionReference.labels());
      AttributionReference.assertMatches("occlusion", a, dir, "occlusion");
    }
  }
}

package org.netvis.plugins.inputxgradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;

/** Input x gradient against the PyTorch reference on the eight shared photos. */
class InputXGradientTest {
  @TempDir Path dir;

  @Test
  void matchesTheFloat64ReferenceAndDoesNotDependOnBatching() throws Exception {
    AttributionReference.compute(dir, "input-x-gradient");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Attribution whole = s.context.attributions().create("input-x-gradient", Map.of(), s.context, "params");
      Tensor a = whole.attribute(x, labels);
      AttributionReference.assertMatches("input-x-gradient", a, dir, "input-x-gradient");
      Attribution small = s.context.attributions().create("input-x-gradient", Map.of("internal_batch_size", 3),
          s.context, "params");
      assertArrayEquals(a.data(), small.attribute(x, labels).data(), 1e-6f);
    }
  }
}

package org.netvis.plugins.noisetunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionProvider;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;
import org.netvis.engine.testing.Compare;

/**
 * SmoothGrad over a base found by id. The reference draws other noise, so its result is compared by
 * statistics: netvis is as close to a reference run as two reference runs with different seeds are.
 */
class NoiseTunnelTest {
  @TempDir Path dir;

  /** |gradient| as a base method, registered by the test: any id a plugin registers works. */
  public static final class AbsGradient implements AttributionProvider {
    @Override
    public String id() {
      return "test-abs-gradient";
    }

    @Override
    public String description() {
      return "|d score / d x|";
    }

    @Override
    public Class<? extends Record> parameters() {
      return NoParameters.class;
    }

    @Override
    public Attribution create(org.netvis.engine.spi.AttributionContext ctx, Record parameters) {
      return (inputs, targets) -> {
        Tensor g = org.netvis.engine.attribution.TargetGradients.of(ctx.engine(), inputs, targets, 64);
        for (int i = 0; i < g.size(); i++) {
          g.data()[i] = Math.abs(g.data()[i]);
        }
        return g;
      };
    }
  }

  /** No parameters. */
  public record NoParameters() {}

  @Test
  void smoothGradAgreesWithTheReferenceStatistics() throws Exception {
    AttributionReference.compute(dir, "smoothgrad");
    double[] one = AttributionReference.read(dir, "smoothgrad_seed1_f64").asDoubles();
    double[] two = AttributionReference.read(dir, "smoothgrad_seed2_f64").asDoubles();
    float[] twoAsFloat = new float[two.length];
    for (int i = 0; i < two.length; i++) {
      twoAsFloat[i] = (float) two[i];
    }
    double[] seedToSeed = Compare.relativeL2PerItem(twoAsFloat, one, 8);
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      // The base is found by id in the registry: this test's own provider, as a plugin jar's would be.
      Attribution tunnel = s.context.attributions().create("noise-tunnel",
          Map.of("base", "test-abs-gradient", "samples", 10, "stdev", 0.3), s.context, "params");
      Tensor ours = tunnel.attribute(x, labels);
      double[] toReference = Compare.relativeL2PerItem(ours.data(), one, 8);
      System.out.printf("smoothgrad: netvis vs reference %s; reference seed 1 vs seed 2 %s%n",
          AttributionReference.format(toReference), AttributionReference.format(seedToSeed));
      for (int i = 0; i < 8; i++) {
        assertTrue(toReference[i] <= 1.5 * seedToSeed[i] + 1e-3, "image " + i + ": " + toReference[i] + " vs "
            + seedToSeed[i]);
      }
      // Batching does not change a result: each image draws its own noise.
      Attribution small = s.context.attributions().create("noise-tunnel",
          Map.of("base", "test-abs-gradient", "samples", 10, "stdev", 0.3, "internal_batch_size", 3), s.context, "params");
      Tensor alone = small.attribute(x.slice(2, 3), new long[] {labels[2]});
      float[] third = Arrays.copyOfRange(ours.data(), 0, alone.size());
      assertTrue(!Arrays.equals(third, alone.data()), "image 2 alone is image 0 of its call: another seed");
      Tensor again = small.attribute(x, labels);
      assertArrayEquals(ours.data(), again.data(), 1e-6f);
    }
  }

  @Test
  void theBaseIsFoundByIdAndBadOnesAreNamed() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.context.attributions()
          .create("noise-tunnel", Map.of("base", "no-such-method"), s.context, "steps[0].params"));
      assertTrue(e.getMessage().contains("unknown attribution method 'no-such-method'"), e.getMessage());
      IllegalArgumentException p = assertThrows(IllegalArgumentException.class, () -> s.context.attributions()
          .create("noise-tunnel", Map.of("samples", -1), s.context, "steps[0].params"));
      assertTrue(p.getMessage().contains("steps[0].params.samples: -1 is out of range"), p.getMessage());
    }
  }
}

package org.netvis.plugins.infidelitysensitivity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.attribution.AttributionStep;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;

/** Infidelity and maximum sensitivity against the PyTorch reference, on the perturbations netvis drew. */
class MetricsTest {
  private static final int SAMPLES = 3;

  @TempDir Path dir;

  /** Draws from {@code noise}, kept per image in draw order: (N, SAMPLES, C, H, W). */
  private static final class Recorded implements Perturbations.Draws {
    final Perturbations.Draws source;
    final float[] all;
    final int[] drawn;
    final int item;

    Recorded(Perturbations.Draws source, int images, int item) {
      this.source = source;
      this.all = new float[images * SAMPLES * item];
      this.drawn = new int[images];
      this.item = item;
    }

    @Override
    public void next(int image, float[] out, int offset, int length) {
      source.next(image, out, offset, length);
      System.arraycopy(out, offset, all, (image * SAMPLES + drawn[image]++) * item, length);
    }

    Tensor tensor() {
      return new Tensor(new long[] {drawn.length, SAMPLES, 3, 224, 224}, all);
    }
  }

  @Test
  void infidelityMatchesTheReference() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      int n = (int) x.dim(0);
      int item = x.itemSize();
      // Input x gradient, and its channel sum as a one-channel map.
      Tensor g = TargetGradients.of(s.engine, x, labels, 8);
      float[] map = new float[n * item];
      for (int k = 0; k < map.length; k++) {
        map[k] = x.data()[k] * g.data()[k];
      }
      float[] map1 = new float[n * 224 * 224];
      for (int i = 0; i < n; i++) {
        System.arraycopy(AttributionStep.channelSum(new Tensor(x.shape(), map), i), 0, map1, i * 224 * 224, 224 * 224);
      }
      Tensor maps = new Tensor(x.shape(), map);
      Tensor maps1 = new Tensor(new long[] {n, 1, 224, 224}, map1);
      double[][] ours = new double[4][];
      Recorded first = null;
      for (int m = 0; m < 4; m++) {
        // The same draws for every map: a fresh generator set from the same seed each time.
        Perturbations noise = new Perturbations(11, i -> i, n);
        Recorded draws = new Recorded((i, out, offset, length) -> noise.gaussian(i, 0.1, out, offset, length), n, item);
        ours[m] = Infidelity.of(s.engine, x, m < 2 ? maps : maps1, labels, draws, SAMPLES, m % 2 == 1, 8);
        if (first == null) {
          first = draws;
        } else {
          assertTrue(Arrays.equals(first.all, draws.all), "the same seed draws the same perturbations");
        }
      }
      Npy.write(dir.resolve("infidelity_perturbations.npy"), first.tensor());
      Npy.write(dir.resolve("infidelity_map.npy"), maps);
      Npy.write(dir.resolve("infidelity_map1.npy"), maps1);
      AttributionReference.compute(dir, "infidelity");
      double[] ref = AttributionReference.read(dir, "infidelity_f64").asDoubles();
      String[] names = {"map", "map, normalized", "one-channel map", "one-channel map, normalized"};
      for (int m = 0; m < 4; m++) {
        double[] expected = new double[n];
        double worst = 0;
        for (int i = 0; i < n; i++) {
          expected[i] = ref[i * 4 + m];
          worst = Math.max(worst, Math.abs(ours[m][i] - expected[i]) / expected[i]);
        }
        System.out.printf("infidelity (%s): %s, reference %s, largest relative difference %.1e%n", names[m],
            AttributionReference.format(ours[m]), AttributionReference.format(expected), worst);
        for (int i = 0; i < n; i++) {
          // The score differences F(x) - F(x - I) carry float32's rounding of the scores (2e-5 of it here).
          assertEquals(expected[i], ours[m][i], 1e-3 * expected[i] + 1e-9, names[m] + ", image " + i);
        }
      }
      for (int i = 0; i < n; i++) {
        assertTrue(ours[1][i] <= ours[0][i] * (1 + 1e-9), "normalizing never raises the infidelity");
      }
    }
  }

  @Test
  void sensitivityMaxMatchesTheReference() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      int n = (int) x.dim(0);
      // Saliency as Captum's Saliency defines it (the saliency plugin's own module is not a dependency here).
      Attribution saliency = (inputs, targets) -> {
        Tensor g = TargetGradients.of(s.engine, inputs, targets, 8);
        float[] abs = new float[g.size()];
        for (int k = 0; k < abs.length; k++) {
          abs[k] = Math.abs(g.data()[k]);
        }
        return new Tensor(g.shape(), abs);
      };
      Tensor e = saliency.attribute(x, labels);
      Perturbations noise = new Perturbations(5, i -> i, n);
      Recorded draws = new Recorded((i, out, offset, length) -> noise.uniform(i, 0.02, out, offset, length), n,
          x.itemSize());
      double[] ours = SensitivityMax.of(saliency, x, labels, e, draws, SAMPLES);
      for (float d : draws.all) {
        assertTrue(d >= -0.02f && d <= 0.02f, "perturbation " + d);
      }
      Npy.write(dir.resolve("sensitivity-max_perturbations.npy"), draws.tensor());
      AttributionReference.compute(dir, "sensitivity-max");
      double[] expected = AttributionReference.read(dir, "sensitivity-max_f64").asDoubles();
      double[] torch32 = AttributionReference.read(dir, "sensitivity-max_f32").asDoubles();
      System.out.printf("sensitivity_max of saliency: %s, reference %s (float32 PyTorch %s)%n",
          AttributionReference.format(ours), AttributionReference.format(expected), AttributionReference.format(torch32));
      double worst = 0;
      for (int i = 0; i < n; i++) {
        worst = Math.max(worst, Math.abs(ours[i] - expected[i]));
      }
      System.out.printf("sensitivity_max: largest difference from the reference %.1e%n", worst);
      for (int i = 0; i < n; i++) {
        // Two float32 gradients of a network with ReLUs and max pools can differ from float64 by ~1e-4 of
        // their norm where a unit sits at its kink (8e-5 here), and the ratio inherits that.
        assertEquals(expected[i], ours[i], 1e-3, "image " + i);
      }
    }
  }
}

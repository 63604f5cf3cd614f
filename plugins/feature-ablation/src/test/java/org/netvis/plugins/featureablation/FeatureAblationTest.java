package org.netvis.plugins.featureablation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;

/**
 * Feature ablation, neuron feature ablation, Shapley value sampling, KernelSHAP and LIME against the
 * PyTorch reference, on a 3 x 3 grid of 75-pixel cells (the last row and column 74): few features keep
 * the float64 reference quick.
 */
class FeatureAblationTest {
  private static final int CELL = 75;
  private static final int CELLS = 9;
  private static final int SAMPLES = 2;
  /** The unit the reference's neuron methods read: channel 51 at (13, 13) of features[7]'s output. */
  private static final String LAYER = "/features/features.7/Concat_output_0";
  private static final List<Integer> UNIT = List.of(51, 13, 13);

  @TempDir static Path dir;

  /** The grid's feature ids, computed here: (y / 75) * 3 + x / 75. */
  private static long[] gridIds() {
    long[] ids = new long[224 * 224];
    for (int y = 0; y < 224; y++) {
      for (int x = 0; x < 224; x++) {
        ids[y * 224 + x] = (y / CELL) * 3L + x / CELL;
      }
    }
    return ids;
  }

  @BeforeAll
  static void mask() throws Exception {
    Npy.write(dir.resolve("feature-ablation_mask.npy"), NpyArray.ofLongs(new long[] {224, 224}, gridIds()));
  }

  @Test
  void featureAblationMatchesTheReferenceAndReadsMaskFiles() throws Exception {
    AttributionReference.compute(dir, "feature-ablation");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Tensor a = s.context.attributions().create("feature-ablation", Map.of("grid_size", CELL,
          "perturbations_per_eval", 12), s.context, "params").attribute(x, labels);
      AttributionReference.assertMatches("feature-ablation", a, dir, "feature-ablation");
      // The same cells as ids 3, 10, 17, ... in a file, one mask per image: the same attributions.
      long[] ids = gridIds();
      long[] perImage = new long[8 * ids.length];
      for (int i = 0; i < 8; i++) {
        for (int k = 0; k < ids.length; k++) {
          perImage[i * ids.length + k] = 3 + 7 * ids[k];
        }
      }
      Path file = dir.resolve("cells.npy");
      Npy.write(file, NpyArray.ofLongs(new long[] {8, 224, 224}, perImage));
      Tensor fromFile = s.context.attributions().create("feature-ablation", Map.of("features", file.toString()),
          s.context, "params").attribute(x, labels);
      assertArrayEquals(a.data(), fromFile.data(), 1e-5f);
    }
  }

  @Test
  void neuronFeatureAblationMatchesTheReferenceWhateverTheTargets() throws Exception {
    AttributionReference.compute(dir, "neuron-feature-ablation");
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Attribution method = s.context.attributions().create("neuron-feature-ablation", Map.of("layer", LAYER,
          "neuron", UNIT, "grid_size", CELL, "perturbations_per_eval", 5), s.context, "params");
      Tensor a = method.attribute(x, labels);
      AttributionReference.assertMatches("neuron-feature-ablation", a, dir, "neuron-feature-ablation");
      long[] others = new long[labels.length];
      java.util.Arrays.fill(others, 7);
      assertArrayEquals(a.data(), method.attribute(x, others).data(), 0f, "the unit's value does not read targets");
      assertFalse(s.context.attributions().find("neuron-feature-ablation").orElseThrow().explainsTargets());
      IllegalArgumentException unnamed = assertThrows(IllegalArgumentException.class, () -> s.context.attributions()
          .create("neuron-feature-ablation", Map.of("neuron", UNIT), s.context, "params"));
      assertTrue(unnamed.getMessage().startsWith("layer: name the tensor that holds the unit"), unnamed.getMessage());
      IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> s.context.attributions()
          .create("neuron-feature-ablation", Map.of("layer", LAYER, "neuron", List.of(51, 27, 0)), s.context,
              "params"));
      assertTrue(outside.getMessage().startsWith("neuron: index 27 on axis 1 is outside [0, 27)"),
          outside.getMessage());
    }
  }

  @Test
  void shapleyValueSamplingMatchesTheReferenceOnItsOwnOrdersAndAddsUp() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 6)) {
      Tensor x = AttributionReference.inputs();
      long[] labels = AttributionReference.labels();
      Attribution method = s.context.attributions().create("shapley-value-sampling", Map.of("grid_size", CELL,
          "n_samples", SAMPLES, "perturbations_per_eval", 20), s.context, "params");
      long[] orders = new long[8 * SAMPLES * CELLS];
      for (int i = 0; i < 8; i++) {
        int[][] o = ((ShapleyValueSampling) method).orders(i, CELLS);
        for (int k = 0; k < SAMPLES; k++) {
          int[] sorted = o[k].clone();
          java.util.Arrays.sort(sorted);
          assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8}, sorted, "a permutation of the cells");
          for (int f = 0; f < CELLS; f++) {
            orders[(i * SAMPLES + k) * CELLS + f] = o[k][f];
          }
        }
      }
      Npy.write(dir.resolve("shapley-value-sampling_orders.npy"),
          NpyArray.ofLongs(new long[] {8, SAMPLES, CELLS}, orders));
      AttributionReference.compute(dir, "shapley-value-sampling");
      Tensor a = method.attribute(x, labels);
      AttributionReference.assertMatches("shapley-value-sampling", a, dir, "shapley-value-sampling");
      // Efficiency: every order's changes add up to F(x) - F(baseline), so the cells' values do too.
      double[] fx = TargetGradients.scores(s.engine, x, labels, 8);
      double[] fb = TargetGradients.scores(s.engine, Tensor.zeros(8, 3, 224, 224), labels, 8);
      for (int i = 0; i < 8; i++) {
        double sum = 0;
        for (int cell = 0; cell < CELLS; cell++) {
          sum += a.data()[i * 3 * 224 * 224 + (cell / 3) * CELL * 224 + (cell % 3) * CELL];
        }
        assertEquals(fx[i] - fb[i], sum, 1e-4 * Math.max(1, Math.abs(fx[i])), "image " + i);
      }
    }
  }

  @Test
  void kernelShapMatchesTheReferenceOnItsOwnCoalitions() throws Exception {
    int images = 4;
    int samples = 24;
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 8)) {
      Tensor x = AttributionReference.inputs().slice(0, images);
      long[] labels = java.util.Arrays.copyOf(AttributionReference.labels(), images);
      Attribution method = s.context.attributions().create("kernel-shap", Map.of("grid_size", CELL,
          "n_samples", samples), s.context, "params");
      long[] coalitions = new long[images * samples * CELLS];
      int[] sizes = new int[CELLS + 1];
      for (int i = 0; i < images; i++) {
        boolean[][] z = ((KernelShap) method).coalitions(i, CELLS);
        for (int k = 0; k < samples; k++) {
          int size = 0;
          for (int f = 0; f < CELLS; f++) {
            coalitions[(i * samples + k) * CELLS + f] = z[k][f] ? 1 : 0;
            size += z[k][f] ? 1 : 0;
          }
          assertTrue(k == 0 ? size == CELLS : k == 1 ? size == 0 : size > 0 && size < CELLS, "coalition " + k);
          sizes[size] += k < 2 ? 0 : 1;
        }
      }
      // The Shapley kernel puts most draws at the smallest and largest sizes: 1 and 8 of 9 are each 4.5 times
      // as likely as 4 or 5.
      assertTrue(sizes[1] + sizes[8] > sizes[4] + sizes[5], "coalition sizes " + java.util.Arrays.toString(sizes));
      Npy.write(dir.resolve("kernel-shap_coalitions.npy"), NpyArray.ofLongs(new long[] {images, samples, CELLS},
          coalitions));
      AttributionReference.compute(dir, "kernel-shap");
      AttributionReference.assertMatches("kernel-shap", method.attribute(x, labels), dir, "kernel-shap");
    }
  }

  @Test
  void limeMatchesTheReferenceOnItsOwnCoalitions() throws Exception {
    int images = 4;
    int samples = 30;
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 9)) {
      Tensor x = AttributionReference.inputs().slice(0, images);
      long[] labels = java.util.Arrays.copyOf(AttributionReference.labels(), images);
      Attribution method = s.context.attributions().create("lime", Map.of("grid_size", CELL, "n_samples", samples),
          s.context, "params");
      long[] coalitions = new long[images * samples * CELLS];
      int kept = 0;
      for (int i = 0; i < images; i++) {
        boolean[][] z = ((Lime) method).coalitions(i, CELLS);
        for (int k = 0; k < samples; k++) {
          for (int f = 0; f < CELLS; f++) {
            coalitions[(i * samples + k) * CELLS + f] = z[k][f] ? 1 : 0;
            kept += z[k][f] ? 1 : 0;
          }
        }
      }
      // 1080 fair coin flips.
      assertTrue(Math.abs(kept - 540) < 80, kept + " of 1080 features kept");
      Npy.write(dir.resolve("lime_coalitions.npy"), NpyArray.ofLongs(new long[] {images, samples, CELLS}, coalitions));
      AttributionReference.compute(dir, "lime");
      AttributionReference.assertMatches("lime", method.attribute(x, labels), dir, "lime");
    }
  }

  @Test
  void theLassoIsItsDefinition() {
    // Orthogonal columns of +-1 (after centring) and equal weights: the Lasso soft-thresholds least squares.
    boolean[][] z = {{true, true}, {true, false}, {false, true}, {false, false}};
    double[] y = {5, 3, 2, 0};
    double[] w = {1, 1, 1, 1};
    // y = 3 z0 + 2 z1 exactly; the centred columns have variance 1/4, so alpha 0.1 moves each by 0.1 / (1/4),
    // and alpha 1 exceeds both covariances with y (3/4 and 1/2).
    assertArrayEquals(new double[] {3, 2}, Lasso.fit(z, y, w, 0), 1e-12);
    assertArrayEquals(new double[] {2.6, 1.6}, Lasso.fit(z, y, w, 0.1), 1e-12);
    assertArrayEquals(new double[] {0, 0}, Lasso.fit(z, y, w, 1), 1e-12);
  }

  @Test
  void theRegressionIsScikitLearnsLinearRegression() {
    // y = 2 + 3 z0 - z1 exactly, with the end rows weighted: the coefficients come back.
    boolean[][] z = {{true, true}, {false, false}, {true, false}, {false, true}, {true, false}};
    double[] y = new double[z.length];
    for (int r = 0; r < z.length; r++) {
      y[r] = 2 + (z[r][0] ? 3 : 0) - (z[r][1] ? 1 : 0);
    }
    assertArrayEquals(new double[] {3, -1}, KernelShap.fit(z, y), 1e-9);
    // Fewer rows than unknowns: the least-norm solution, as LAPACK's gelsd gives scikit-learn. With both
    // end rows (weight 10^6) and y(all) - y(none) = 6 over three features, it spreads 6 evenly.
    boolean[][] few = {{true, true, true}, {false, false, false}};
    assertArrayEquals(new double[] {2, 2, 2}, KernelShap.fit(few, new double[] {7, 1}), 1e-9);
  }

  @Test
  void badMasksAreNamed() throws Exception {
    try (AttributionReference.Setup s = new AttributionReference.Setup(dir.resolve("graphs"), 0)) {
      IllegalArgumentException kind = assertThrows(IllegalArgumentException.class, () -> s.context.attributions()
          .create("feature-ablation", Map.of("features", "quickshift"), s.context, "params"));
      assertEquals("features: 'quickshift' is not grid, slic or an .npy path", kind.getMessage());
      Path floats = dir.resolve("floats.npy");
      Npy.write(floats, Tensor.zeros(224, 224));
      IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> s.context.attributions()
          .create("shapley-value-sampling", Map.of("features", floats.toString()), s.context, "params"));
      assertTrue(type.getMessage().startsWith("features: " + floats + " holds <f4 of shape [224, 224]; expected integer"
          + " feature ids of shape (224, 224) or (N, 224, 224)"), type.getMessage());
    }
  }
}

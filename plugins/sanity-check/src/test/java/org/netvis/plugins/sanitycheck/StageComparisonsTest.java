package org.netvis.plugins.sanitycheck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Stages compared on their own thread as they come in: the same numbers as comparing them afterwards. */
class StageComparisonsTest {

  @Test
  void eachStageIsComparedWithTheOriginalAsItsDefinitionSays() {
    Random random = new Random(9);
    int images = 3;
    // One method at the image's size, one on a coarse square grid (as Grad-CAM's maps are).
    String[] methods = {"fine", "coarse"};
    int[] sizes = {24 * 20, 14 * 14};
    List<List<float[][]>> maps = new ArrayList<>();
    try (StageComparisons comparisons = new StageComparisons(24, 20)) {
      for (int m = 0; m < methods.length; m++) {
        maps.add(new ArrayList<>());
      }
      for (int stage = 0; stage < 5; stage++) {
        for (int m = 0; m < methods.length; m++) {
          float[][] perImage = new float[images][sizes[m]];
          for (float[] map : perImage) {
            for (int k = 0; k < map.length; k++) {
              map[k] = random.nextInt(7) == 0 ? 0 : Math.abs((float) random.nextGaussian());
            }
          }
          maps.get(m).add(perImage);
          comparisons.add(methods[m], perImage);
        }
      }
      for (int m = 0; m < methods.length; m++) {
        int h = m == 0 ? 24 : 14;
        int w = m == 0 ? 20 : 14;
        List<float[][]> byStage = maps.get(m);
        double[] spearman = new double[byStage.size()];
        double[] ssim = new double[byStage.size()];
        for (int s = 0; s < byStage.size(); s++) {
          for (int i = 0; i < images; i++) {
            spearman[s] += MapSimilarity.pearson(MapSimilarity.ranks(byStage.get(0)[i]),
                MapSimilarity.ranks(byStage.get(s)[i])) / images;
            ssim[s] += MapSimilarity.ssim(byStage.get(0)[i], byStage.get(s)[i], h, w) / images;
          }
        }
        StageComparisons.ByStage compared = comparisons.of(methods[m]);
        assertArrayEquals(spearman, compared.spearman(), 0, methods[m]);
        assertArrayEquals(ssim, compared.ssim(), 0, methods[m]);
        assertEquals(1.0, compared.spearman()[0], 1e-12, "the original against itself");
      }
    }
  }

  @Test
  void aFailedComparisonIsThrownWhenItsMethodIsAskedFor() {
    try (StageComparisons comparisons = new StageComparisons(4, 4)) {
      comparisons.add("m", new float[][] {new float[16]});
      comparisons.add("m", new float[][] {new float[15]});
      assertThrows(ArrayIndexOutOfBoundsException.class, () -> comparisons.of("m"));
    }
  }
}

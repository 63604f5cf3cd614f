package org.netvis.engine.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.Attributions;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/** GradientSHAP's draws: chunks hand out each image's draws in order, the points and the means, by hand. */
class GradientShapDrawsTest {
  private static final int SAMPLES = 5;

  /** A context with no engine: the draws read only the seed, the item indices and the preprocessing. */
  private static AttributionContext context(long seed, int firstItem) {
    ResolvedModel model = new ResolvedModel(ModelDescriptor.forFile("m.onnx", Preprocessing.IMAGENET), Path.of("m.onnx"),
        "0", List.of());
    return new AttributionContext() {
      @Override
      public Engine engine() {
        throw new AssertionError("the draws should not need the engine");
      }

      @Override
      public ResolvedModel model() {
        return model;
      }

      @Override
      public long seed() {
        return seed;
      }

      @Override
      public int itemIndex(int i) {
        return firstItem + i;
      }

      @Override
      public Attributions attributions() {
        throw new AssertionError("not needed");
      }
    };
  }

  private static Tensor images(int n) {
    Random random = new Random(1);
    Tensor x = Tensor.zeros(n, 3, 4, 4);
    for (int k = 0; k < x.size(); k++) {
      x.data()[k] = (float) random.nextGaussian();
    }
    return x;
  }

  private static GradientShapDraws draws(AttributionContext ctx) {
    return new GradientShapDraws(ctx, List.of("zeros", "uniform"), 5.0, SAMPLES, 0.3);
  }

  @Test
  void chunksHandOutEachImagesDrawsInOrderWithTheirPoints() {
    Tensor x = images(3);
    int item = x.itemSize();
    GradientShapDraws draws = draws(context(7, 0));
    List<List<GradientShapDraws.Draw>> expected = draws.of(x);
    long[] targets = {11, 12, 13};
    double[] summed = new double[x.size()];
    List<Integer> starts = new ArrayList<>();
    // 15 draws in chunks of 4: the last one short, two of them ending inside an image's draws.
    draws.inChunks(x, 4, c -> {
      starts.add(c.start());
      assertArrayEquals(new long[] {c.count(), 3, 4, 4}, c.pointTensor().shape());
      for (int d = 0; d < c.count(); d++) {
        int q = c.start() + d;
        GradientShapDraws.Draw draw = expected.get(q / SAMPLES).get(q % SAMPLES);
        assertEquals(q / SAMPLES, c.image(d));
        assertEquals(targets[q / SAMPLES], c.targets(targets)[d]);
        assertEquals(draw.alpha(), c.alphas()[d]);
        for (int k = 0; k < item; k++) {
          float b = draw.base()[k];
          float noisy = draw.noisy()[k];
          assertEquals(noisy, c.noisy()[d * item + k]);
          assertEquals(b, c.base()[d * item + k]);
          assertEquals(b + draw.alpha() * (noisy - b), c.points()[d * item + k]);
        }
      }
      c.addToImages(Arrays.copyOf(c.noisy(), c.count() * item), summed);
    });
    assertEquals(List.of(0, 4, 8, 12), starts);
    for (int i = 0; i < 3; i++) {
      for (int k = 0; k < item; k++) {
        double sum = 0;
        for (GradientShapDraws.Draw draw : expected.get(i)) {
          sum += draw.noisy()[k];
        }
        assertEquals(sum, summed[i * item + k], 1e-5);
      }
    }
  }

  @Test
  void theMeansAtBothEndsAreTheDrawsMeans() {
    Tensor x = images(2);
    GradientShapDraws draws = draws(context(7, 0));
    // A value of a batch: each image's sum of values plus its target.
    ImageValues sums = (images, targets) -> {
      double[] out = images.itemSums();
      for (int i = 0; i < out.length; i++) {
        out[i] += targets[i];
      }
      return out;
    };
    ConvergenceDelta.Ends ends = draws.means(x, new long[] {100, 200}, 3, sums);
    List<List<GradientShapDraws.Draw>> expected = draws.of(x);
    for (int i = 0; i < 2; i++) {
      double atInputs = 0;
      double atBaselines = 0;
      for (GradientShapDraws.Draw draw : expected.get(i)) {
        for (int k = 0; k < draw.noisy().length; k++) {
          atInputs += draw.noisy()[k] / SAMPLES;
          atBaselines += draw.base()[k] / SAMPLES;
        }
      }
      double target = 100 * (i + 1);
      assertEquals(atInputs + target, ends.atInputs()[i], 1e-4);
      assertEquals(atBaselines + target, ends.atBaselines()[i], 1e-4);
    }
  }

  /**
   * A blur baseline is its own image blurred, in every draw and chunk: the distribution keeps each
   * image's blur once drawn, and must never hand one image's to another, nor a stale one to new inputs.
   */
  @Test
  void blurDrawsAreEachImagesOwnBlurInEveryChunk() {
    Tensor x = Tensor.zeros(3, 3, 8, 8);
    Random random = new Random(2);
    for (int k = 0; k < x.size(); k++) {
      x.data()[k] = (float) random.nextGaussian();
    }
    int item = x.itemSize();
    GradientShapDraws draws = new GradientShapDraws(context(7, 0), List.of("black", "blur", "blur"), 1.5, 8, 0.3);
    for (Tensor inputs : List.of(x, x.slice(1, 3), x)) {
      int[] blurs = {0};
      draws.inChunks(inputs, 5, c -> {
        for (int d = 0; d < c.count(); d++) {
          float[] base = Arrays.copyOfRange(c.base(), d * item, (d + 1) * item);
          float[] own = Arrays.copyOfRange(inputs.data(), c.image(d) * item, (c.image(d) + 1) * item);
          float[] blurred = org.netvis.engine.image.GaussianBlur.blur(own, 3, 8, 8, 1.5);
          if (Arrays.equals(base, blurred)) {
            blurs[0]++;
          } else {
            // The other entry, black: one value per channel.
            assertEquals(base[0], base[item / 3 - 1], "draw " + (c.start() + d) + " is neither black nor its blur");
          }
        }
      });
      assertEquals(true, blurs[0] > 0 && blurs[0] < 8 * inputs.dim(0), blurs[0] + " blur draws");
    }
  }

  @Test
  void drawsFollowTheImagesDataSetIndexNotItsPlaceInTheBatch() {
    Tensor same = Tensor.zeros(2, 3, 4, 4); // two equal images: only their generators tell them apart
    List<List<GradientShapDraws.Draw>> whole = draws(context(7, 0)).of(same);
    List<List<GradientShapDraws.Draw>> second = draws(context(7, 1)).of(same.slice(0, 1));
    for (int d = 0; d < SAMPLES; d++) {
      GradientShapDraws.Draw a = whole.get(1).get(d);
      GradientShapDraws.Draw b = second.get(0).get(d);
      assertEquals(a.baseline(), b.baseline());
      assertEquals(a.alpha(), b.alpha());
      assertArrayEquals(a.noisy(), b.noisy());
      assertArrayEquals(a.base(), b.base());
    }
    assertFalse(Arrays.equals(whole.get(0).get(0).noisy(), whole.get(1).get(0).noisy()));
    assertFalse(Arrays.equals(whole.get(1).get(0).noisy(), draws(context(8, 0)).of(same).get(1).get(0).noisy()),
        "another seed, other draws");
  }

  @Test
  void anEmptyDistributionIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new GradientShapDraws(context(0, 0), List.of(), 5.0, SAMPLES, 0));
    assertEquals("baselines: the list is empty; expected at least one baseline", e.getMessage());
  }
}

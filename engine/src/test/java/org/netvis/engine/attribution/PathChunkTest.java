package org.netvis.engine.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.netvis.engine.tensor.Tensor;

/** Chunks of (image, point) pairs against the pairs written out by hand. */
class PathChunkTest {
  @Test
  void chunksCoverEveryPairInOrderAndEndInsideAPath() {
    List<PathChunk> chunks = PathChunk.of(3, 4, 5);
    assertEquals(List.of(new PathChunk(0, 5, 4), new PathChunk(5, 5, 4), new PathChunk(10, 2, 4)), chunks);
    PathChunk middle = chunks.get(1);
    assertEquals(1, middle.image(0));
    assertEquals(1, middle.point(0));
    assertEquals(2, middle.image(3));
    assertEquals(0, middle.point(3));
    assertArrayEquals(new long[] {7, 7, 7, 9, 9}, middle.targets(new long[] {5, 7, 9}));
  }

  @Test
  void pointsRepeatsAndWeightedSums() {
    // Two images of two values; points at alpha 0, 0.5 and 1 of the path from b to x.
    Tensor x = new Tensor(new long[] {2, 1, 1, 2}, new float[] {2, 4, 10, 20});
    Tensor b = new Tensor(new long[] {2, 1, 1, 2}, new float[] {0, 0, 2, 4});
    double[] alphas = {0, 0.5, 1};
    PathChunk second = PathChunk.of(2, 3, 4).get(1); // pairs 4 and 5: image 1, points 1 and 2
    Tensor points = second.interpolate(x, b, alphas, null);
    assertArrayEquals(new long[] {2, 1, 1, 2}, points.shape());
    assertArrayEquals(new float[] {6, 12, 10, 20}, points.data());
    float[] buffer = new float[4];
    assertSame(buffer, second.interpolate(x, b, alphas, buffer).data());
    assertArrayEquals(new float[] {10, 20, 10, 20}, second.repeat(x, null).data());
    double[] total = new double[4];
    second.accumulate(total, new Tensor(new long[] {2, 1, 1, 2}, new float[] {1, 2, 3, 4}), new double[] {9, 10, 100});
    assertArrayEquals(new double[] {0, 0, 10 + 300, 20 + 400}, total, 1e-12);
  }
}

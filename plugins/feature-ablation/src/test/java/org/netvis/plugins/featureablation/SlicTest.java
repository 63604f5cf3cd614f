package org.netvis.plugins.featureablation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.AttributionReference;

/** SLIC superpixels: connected, about as many as asked, and never across a colour edge. */
class SlicTest {

  /** How many 4-connected pieces each segment id has. */
  private static Map<Integer, Integer> pieces(int[] ids, int h, int w) {
    boolean[] seen = new boolean[ids.length];
    Map<Integer, Integer> out = new HashMap<>();
    for (int start = 0; start < ids.length; start++) {
      if (seen[start]) {
        continue;
      }
      out.merge(ids[start], 1, Integer::sum);
      ArrayDeque<Integer> queue = new ArrayDeque<>();
      queue.add(start);
      seen[start] = true;
      while (!queue.isEmpty()) {
        int p = queue.poll();
        int y = p / w;
        int x = p % w;
        for (int q : new int[] {y > 0 ? p - w : -1, y < h - 1 ? p + w : -1, x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1}) {
          if (q >= 0 && !seen[q] && ids[q] == ids[start]) {
            seen[q] = true;
            queue.add(q);
          }
        }
      }
    }
    return out;
  }

  @Test
  void segmentsFollowColourEdgesAndStayConnected() {
    // Four flat quadrants, split off-grid at row 27 and column 40, with a little noise.
    int h = 64;
    int w = 64;
    float[][] rgb = new float[3][h * w];
    java.util.Random random = new java.util.Random(1);
    float[][] colours = {{0.9f, 0.1f, 0.1f}, {0.1f, 0.8f, 0.2f}, {0.1f, 0.2f, 0.9f}, {0.9f, 0.9f, 0.2f}};
    int[] quadrant = new int[h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int q = (y < 27 ? 0 : 2) + (x < 40 ? 0 : 1);
        quadrant[y * w + x] = q;
        for (int c = 0; c < 3; c++) {
          rgb[c][y * w + x] = colours[q][c] + 0.02f * (float) random.nextGaussian();
        }
      }
    }
    int[] ids = Slic.segments(rgb, h, w, 16, 10);
    Map<Integer, Set<Integer>> quadrants = new HashMap<>();
    for (int p = 0; p < ids.length; p++) {
      quadrants.computeIfAbsent(ids[p], k -> new HashSet<>()).add(quadrant[p]);
    }
    quadrants.forEach((id, qs) -> assertEquals(1, qs.size(), "segment " + id + " spans quadrants " + qs));
    pieces(ids, h, w).forEach((id, n) -> assertEquals(1, n, "segment " + id + " is in " + n + " pieces"));
    int count = quadrants.size();
    assertTrue(count >= 8 && count <= 32, count + " segments for 16 asked");
    assertEquals(count - 1, Arrays.stream(ids).max().orElse(-1), "ids 0..K-1");
  }

  @Test
  void aPhotoGetsAboutTheSegmentsAskedForEveryTime() throws Exception {
    Tensor photos = AttributionReference.inputs().slice(0, 2);
    for (int i = 0; i < 2; i++) {
      float[][] rgb = Pixels.deprocess(photos, i, Preprocessing.IMAGENET);
      int[] ids = Slic.segments(rgb, 224, 224, 100, 10);
      Map<Integer, Integer> pieces = pieces(ids, 224, 224);
      pieces.forEach((id, n) -> assertEquals(1, n, "segment " + id + " is in " + n + " pieces"));
      System.out.printf("photo %d: %d SLIC segments for 100 asked%n", i, pieces.size());
      assertTrue(pieces.size() >= 50 && pieces.size() <= 150, pieces.size() + " segments");
      assertArrayEquals(ids, Slic.segments(rgb, 224, 224, 100, 10), "deterministic");
    }
  }
}

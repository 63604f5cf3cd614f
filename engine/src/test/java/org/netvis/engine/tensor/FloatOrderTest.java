package org.netvis.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** FloatOrder against a stable sort of boxed indices by Float.compare. */
class FloatOrderTest {
  @Test
  void sortsAsAStableComparatorSortWithTiesZerosAndNaN() {
    Random r = new Random(5);
    for (int trial = 0; trial < 20; trial++) {
      float[] v = new float[1 + r.nextInt(300)];
      for (int i = 0; i < v.length; i++) {
        int kind = r.nextInt(6);
        v[i] = kind == 0 ? 0f : kind == 1 ? -0f : kind == 2 ? Float.NaN : kind == 3 ? 1f : (float) r.nextGaussian();
      }
      assertArrayEquals(byComparator(v, Comparator.comparing((Integer i) -> v[i])), FloatOrder.ascending(v));
      assertArrayEquals(byComparator(v, Comparator.comparing((Integer i) -> -v[i])), FloatOrder.descending(v));
    }
  }

  private static int[] byComparator(float[] v, Comparator<Integer> order) {
    Integer[] indices = new Integer[v.length];
    for (int i = 0; i < v.length; i++) {
      indices[i] = i;
    }
    Arrays.sort(indices, order);
    return Arrays.stream(indices).mapToInt(Integer::intValue).toArray();
  }
}

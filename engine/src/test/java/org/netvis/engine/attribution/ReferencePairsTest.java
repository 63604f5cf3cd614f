package org.netvis.engine.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.netvis.engine.tensor.Tensor;

/** (image, reference) pairs against the rows written out by hand. */
class ReferencePairsTest {
  @Test
  void pairsInterleaveEachImageWithItsReferencesInChunks() {
    // Two images of two values, two references each; three pairs per call.
    Tensor x = new Tensor(new long[] {2, 1, 1, 2}, new float[] {1, 2, 3, 4});
    Tensor r0 = new Tensor(new long[] {2, 1, 1, 2}, new float[] {10, 20, 30, 40});
    Tensor r1 = new Tensor(new long[] {2, 1, 1, 2}, new float[] {-1, -2, -3, -4});
    List<ReferencePairs> chunks = ReferencePairs.of(2, 2, 3);
    assertEquals(List.of(new ReferencePairs(0, 3, 2), new ReferencePairs(3, 1, 2)), chunks);
    ReferencePairs first = chunks.get(0);
    Tensor rows = first.rows(x, List.of(r0, r1));
    assertArrayEquals(new long[] {6, 1, 1, 2}, rows.shape());
    assertArrayEquals(new float[] {1, 2, 10, 20, 1, 2, -1, -2, 3, 4, 30, 40}, rows.data());
    assertArrayEquals(new long[] {7, 7, 7, 7, 8, 8}, first.targets(new long[] {7, 8}));
    ReferencePairs last = chunks.get(1);
    assertEquals(1, last.image(0));
    assertEquals(1, last.reference(0));
    assertArrayEquals(new float[] {3, 4, -3, -4}, last.rows(x, List.of(r0, r1)).data());
  }
}

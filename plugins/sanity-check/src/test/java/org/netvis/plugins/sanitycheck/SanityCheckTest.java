package org.netvis.plugins.sanitycheck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.netvis.engine.graph.TensorProtos;
import org.netvis.engine.testing.SharedData;

/** Cascading randomization on SqueezeNet's layers, and the map comparisons against values by hand. */
class SanityCheckTest {

  @Test
  void layersRunFromTheLogitsDownAndRedrawKeepsEachTensorsSpread() throws Exception {
    ModelProto model = ModelProto.parseFrom(Files.readAllBytes(SharedData.squeezenet()));
    List<ModelRandomization.Layer> layers = ModelRandomization.layers(model);
    assertEquals(26, layers.size(), "SqueezeNet 1.1 has 26 convolutions");
    assertEquals("/classifier/classifier.1/Conv", layers.get(0).node());
    assertEquals("/features/features.0/Conv", layers.get(25).node());
    ModelProto two = ModelRandomization.randomized(model, layers, 2, 7);
    TensorProto before = find(model, layers.get(1).parameters().get(0));
    TensorProto after = find(two, layers.get(1).parameters().get(0));
    float[] a = TensorProtos.toFloats(before);
    float[] b = TensorProtos.toFloats(after);
    assertNotEquals(a[0], b[0]);
    assertEquals(std(a), std(b), 0.05 * std(a), "redrawn with the tensor's own standard deviation");
    String untouched = layers.get(2).parameters().get(0);
    assertArrayEquals(TensorProtos.toFloats(find(model, untouched)), TensorProtos.toFloats(find(two, untouched)));
    // The same layer gets the same draw at every later stage: stages are cumulative.
    assertArrayEquals(b, TensorProtos.toFloats(find(ModelRandomization.randomized(model, layers, 3, 7),
        layers.get(1).parameters().get(0))));
  }

  @Test
  void spearmanAndSsimAgainstValuesByHand() {
    float[] x = {1, 2, 3, 4};
    assertEquals(1.0, MapSimilarity.spearman(x, new float[] {10, 20, 30, 40}), 1e-12);
    assertEquals(-1.0, MapSimilarity.spearman(x, new float[] {4, 3, 2, 1}), 1e-12);
    assertArrayEquals(new double[] {1.5, 1.5, 3, 4}, MapSimilarity.ranks(new float[] {5, 5, 6, 7}), 1e-12);
    // Ranks (1, 2, 3.5, 3.5) against (1, 2, 3, 4), both with mean 2.5: co-moments 4.5, 4.5 and 5.
    double r = MapSimilarity.pearson(new double[] {1, 2, 3.5, 3.5}, new double[] {1, 2, 3, 4});
    assertEquals(4.5 / Math.sqrt(4.5 * 5), r, 1e-12);
    float[] map = new float[16 * 16];
    for (int i = 0; i < map.length; i++) {
      map[i] = (float) Math.sin(i * 0.37);
    }
    assertEquals(1.0, MapSimilarity.ssim(map, map, 16, 16), 1e-9);
    float[] other = map.clone();
    for (int i = 0; i < other.length; i += 2) {
      other[i] = 0;
    }
    assertTrue(MapSimilarity.ssim(map, other, 16, 16) < 0.9);
  }

  private static TensorProto find(ModelProto m, String name) {
    return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
  }

  private static double std(float[] v) {
    double mean = 0;
    for (float f : v) {
      mean += f;
    }
    mean /= v.length;
    double s = 0;
    for (float f : v) {
      s += (f - mean) * (f - mean);
    }
    return Math.sqrt(s / v.length);
  }
}

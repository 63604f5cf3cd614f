package org.netvis.plugins.layerattribution;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's LayerFeatureAblation: each feature of a hidden layer's units ({@link LayerFeatures}) set
 * to the baseline value while the rest of the model reads the image, and every unit of the feature
 * credited F(x) - F(x with the feature ablated) for the target's score F. The layer's activations
 * come from one forward pass; each ablated copy runs only the model from the layer up.
 */
final class LayerFeatureAblation implements Attribution {
  private final LayerPass pass;
  private final LayerAblationParameters p;

  LayerFeatureAblation(LayerPass pass, LayerAblationParameters p) {
    this.pass = pass;
    this.p = p;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    Tensor a = pass.activations(inputs, p.internalBatchSize());
    int item = a.itemSize();
    int[] featureOf = p.features().of(Arrays.copyOfRange(a.shape(), 1, a.shape().length), pass.channelsLast());
    int[][] unitsOf = unitsOf(featureOf);
    // Row 0 of each image is its activations as they are, row 1 + f has feature f ablated: F(x) comes
    // from the same graph as the ablated scores, so a feature that changes nothing is credited 0.
    int rowsPerImage = unitsOf.length + 1;
    long rows = (long) n * rowsPerImage;
    double[] scores = new double[Math.toIntExact(rows)];
    float baseline = (float) p.baseline();
    for (long start = 0; start < rows; start += p.perturbationsPerEval()) {
      int count = (int) Math.min(p.perturbationsPerEval(), rows - start);
      int[] imageOfRow = new int[count];
      for (int k = 0; k < count; k++) {
        imageOfRow[k] = (int) ((start + k) / rowsPerImage);
      }
      Tensor values = a.items(imageOfRow);
      for (int k = 0; k < count; k++) {
        int feature = (int) ((start + k) % rowsPerImage) - 1;
        if (feature >= 0) {
          for (int u : unitsOf[feature]) {
            values.data()[k * item + u] = baseline;
          }
        }
      }
      double[] s = pass.scoresAt(inputs, imageOfRow, values, targets);
      System.arraycopy(s, 0, scores, (int) start, count);
    }
    float[] out = new float[n * item];
    for (int i = 0; i < n; i++) {
      for (int u = 0; u < item; u++) {
        out[i * item + u] = (float) (scores[i * rowsPerImage] - scores[i * rowsPerImage + 1 + featureOf[u]]);
      }
    }
    return pass.output(new Tensor(a.shape(), out), inputs);
  }

  /** The units of each feature, features numbered from 0 without gaps. */
  private static int[][] unitsOf(int[] featureOf) {
    List<List<Integer>> groups = new ArrayList<>();
    for (int u = 0; u < featureOf.length; u++) {
      while (groups.size() <= featureOf[u]) {
        groups.add(new ArrayList<>());
      }
      groups.get(featureOf[u]).add(u);
    }
    return groups.stream().map(g -> g.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
  }
}

package org.netvis.plugins.featureablation;

import org.netvis.engine.spi.Attribution;
import org.netvis.engine.tensor.Tensor;

/**
 * Feature ablation with Captum's semantics: each feature's pixels (every channel) set to the baseline's,
 * one feature at a time; every value of a feature is attributed F(x) - F(x with the feature ablated),
 * F the target's score (FeatureAblation) or a hidden unit's value (NeuronFeatureAblation).
 */
final class FeatureAblation implements Attribution {
  private final Perturbing setup;

  FeatureAblation(Perturbing setup) {
    this.setup = setup;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    FeatureMask mask = setup.masks().apply(inputs);
    int channels = (int) inputs.dim(1);
    int plane = (int) (inputs.dim(2) * inputs.dim(3));
    int item = inputs.itemSize();
    float[] x = inputs.data();
    float[] b = setup.baseline().ofImages(inputs, setup.ctx()).data();
    double[] original = setup.scores(inputs.shape(), n, (i, slot, offset) -> {
      System.arraycopy(x, i * item, slot, offset, item);
      return targets[i];
    });
    int[][][] features = new int[n][][];
    int[] firstJob = new int[n + 1];
    for (int i = 0; i < n; i++) {
      features[i] = mask.of(i, n);
      firstJob[i + 1] = firstJob[i] + features[i].length;
    }
    int[] imageOf = new int[firstJob[n]];
    for (int i = 0; i < n; i++) {
      java.util.Arrays.fill(imageOf, firstJob[i], firstJob[i + 1], i);
    }
    double[] ablated = setup.scores(inputs.shape(), firstJob[n], (job, slot, offset) -> {
      int i = imageOf[job];
      System.arraycopy(x, i * item, slot, offset, item);
      FeatureMask.copy(features[i][job - firstJob[i]], channels, plane, b, i * item, slot, offset);
      return targets[i];
    });
    float[] out = new float[n * item];
    for (int i = 0; i < n; i++) {
      double[] drops = new double[features[i].length];
      for (int f = 0; f < drops.length; f++) {
        drops[f] = original[i] - ablated[firstJob[i] + f];
      }
      FeatureMask.paint(features[i], drops, channels, plane, out, i * item);
    }
    return new Tensor(inputs.shape(), out);
  }
}

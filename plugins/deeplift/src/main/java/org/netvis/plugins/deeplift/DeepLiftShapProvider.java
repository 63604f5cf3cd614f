package org.netvis.plugins.deeplift;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;
import org.netvis.engine.spi.Param;
import org.netvis.engine.tensor.Tensor;

/** Registers DeepLIFT SHAP: DeepLIFT averaged over a distribution of baselines (Captum's DeepLiftShap). */
public final class DeepLiftShapProvider implements AttributionProvider {

  /** Parameters of DeepLIFT SHAP. */
  public record Parameters(
      @Param(description = "the baseline distribution, every one used for every image: zeros, black, blur and uniform"
          + " count as one baseline each (uniform: pixel noise from the image's seed), an .npy of shape (C, H, W) or"
          + " (K, C, H, W) in the normalized space as its K images", defaultValue = "[zeros, black, blur, uniform]")
      List<String> baselines,
      @Param(description = "Gaussian sigma in pixels for the blur baseline", defaultValue = "5.0", min = 0,
          exclusiveMin = true, max = 1000) double blurSigma,
      @Param(description = "(image, baseline) pairs per gradient call", defaultValue = "16", min = 1, max = 100000)
      int internalBatchSize) {}

  @Override
  public String id() {
    return "deeplift-shap";
  }

  @Override
  public String description() {
    return "DeepLIFT SHAP (Lundberg and Lee 2017): DeepLIFT's attributions averaged over a distribution of baselines;"
        + " reports the convergence delta against their mean score";
  }

  @Override
  public Class<? extends Record> parameters() {
    return Parameters.class;
  }

  @Override
  public Attribution create(AttributionContext context, Record parameters) {
    Parameters p = (Parameters) parameters;
    if (p.baselines().isEmpty()) {
      throw new IllegalArgumentException("baselines: the list is empty; expected at least one baseline");
    }
    List<Baseline> entries = new ArrayList<>();
    for (int i = 0; i < p.baselines().size(); i++) {
      entries.add(Baseline.of("baselines[" + i + "]", p.baselines().get(i), p.blurSigma(), context));
    }
    return new DeepLift(context.engine(), inputs -> references(entries, inputs, context), p.internalBatchSize());
  }

  /** Every baseline of the distribution for every image; uniform noise from each image's own generator, in order. */
  static List<Tensor> references(List<Baseline> entries, Tensor inputs, AttributionContext context) {
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    List<float[]> out = new ArrayList<>();
    for (Baseline entry : entries) {
      for (int j = 0; j < entry.count(); j++) {
        out.add(new float[n * item]);
      }
    }
    for (int i = 0; i < n; i++) {
      Random random = SeededRandom.forItem(context.seed(), context.itemIndex(i));
      int k = 0;
      for (Baseline entry : entries) {
        for (int j = 0; j < entry.count(); j++) {
          entry.write(inputs, i, j, random, out.get(k++), i * item);
        }
      }
    }
    return out.stream().map(values -> new Tensor(inputs.shape(), values)).toList();
  }
}

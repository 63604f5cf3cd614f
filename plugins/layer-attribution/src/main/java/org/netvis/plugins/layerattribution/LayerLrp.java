package org.netvis.plugins.layerattribution;

import java.util.Arrays;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.graph.LrpRules;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Captum's LayerLRP: the relevance LRP's rules pass from the target's score back to a hidden layer's
 * output, the same rules as LRP's to the input stopped at the layer. The relevance starts at 1 and is
 * multiplied by the score, as LRP's is; the convergence delta is Captum's, the relevance's sum less the
 * score: what the rules lost on the way down to the layer.
 */
final class LayerLrp implements Attribution, ConvergenceDelta {
  private final LayerPass pass;
  private final LrpRules rules;
  private final int batch;
  private final LayerDelta delta;

  LayerLrp(AttributionContext ctx, LayerPass pass, LrpRules rules, int internalBatchSize) {
    this.pass = pass;
    this.rules = rules;
    this.batch = internalBatchSize;
    // The score at the input's end and nothing at the other: LRP's relevance starts from the score itself.
    this.delta = new LayerDelta((inputs, targets) -> new ConvergenceDelta.Ends(TargetGradients.scores(ctx.engine(),
        inputs, targets, Math.max(1, Math.min(batch, (int) inputs.dim(0)))), new double[(int) inputs.dim(0)]));
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    float[] out = null;
    long[] shape = null;
    for (int start = 0; start < n; start += batch) {
      int end = Math.min(n, start + batch);
      LayerPass.Relevance r = pass.relevance(inputs.slice(start, end), Arrays.copyOfRange(targets, start, end), rules);
      int item = r.relevance().itemSize();
      if (out == null) {
        out = new float[n * item];
        shape = r.relevance().shape().clone();
        shape[0] = n;
      }
      float[] relevance = r.relevance().data();
      for (int k = 0; k < relevance.length; k++) {
        out[start * item + k] = (float) (relevance[k] * r.scores()[k / item]);
      }
    }
    Tensor layer = new Tensor(shape, out);
    return delta.remember(pass.output(layer, inputs), layer);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return delta.delta(attributions, inputs, targets);
  }
}

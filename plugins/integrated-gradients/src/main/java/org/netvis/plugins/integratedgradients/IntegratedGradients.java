package org.netvis.plugins.integratedgradients;

import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.PathChunk;
import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Integrated gradients with Captum's semantics: attributions = (x - b) * sum_k w_k grad F(b + a_k (x - b)),
 * with the points a_k and weights w_k of the chosen {@link PathRule} on [0, 1]. The (image, point) pairs run
 * through the gradient graph in chunks ({@link PathChunk}) of at most {@code internal_batch_size}, and no
 * more than the engine's gradient batch.
 */
final class IntegratedGradients implements Attribution, ConvergenceDelta {
  private final AttributionContext ctx;
  private final IntegratedGradientsProvider.Parameters p;
  private final Baseline baseline;

  IntegratedGradients(AttributionContext ctx, IntegratedGradientsProvider.Parameters p) {
    this.ctx = ctx;
    this.p = p;
    // Checked when the method is created, so before any step of an experiment runs.
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Tensor baselines = baselines(inputs);
    PathRule.Points rule = p.method().points(p.steps());
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    double[] total = new double[n * item];
    float[] buffer = null; // the last chunk's points, refilled by the next chunk of its size
    Tensor gradients = null; // the last chunk's, written over likewise
    for (PathChunk c : PathChunk.of(n, rule.count(), ctx.engine().gradientCallSize(p.internalBatchSize()))) {
      Tensor points = c.interpolate(inputs, baselines, rule.alphas(), buffer);
      buffer = points.data();
      gradients = TargetGradients.of(ctx.engine(), points, c.targets(targets), c.count(), gradients);
      c.accumulate(total, gradients, rule.weights());
    }
    float[] x = inputs.data();
    float[] b = baselines.data();
    float[] out = new float[n * item];
    for (int j = 0; j < out.length; j++) {
      out[j] = (float) ((x[j] - b[j]) * total[j]);
    }
    return new Tensor(inputs.shape(), out);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    double[] end = TargetGradients.scores(ctx.engine(), inputs, targets, p.internalBatchSize());
    double[] start = TargetGradients.scores(ctx.engine(), baselines(inputs), targets, p.internalBatchSize());
    return ConvergenceDelta.of(attributions.itemSums(), end, start);
  }

  /** The baseline of every image (see {@link Baseline#ofImages}). */
  Tensor baselines(Tensor inputs) {
    return baseline.ofImages(inputs, ctx);
  }
}

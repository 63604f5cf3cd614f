package org.netvis.plugins.integratedgradients;

import java.util.stream.IntStream;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.PathRule;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * Integrated gradients with Captum's semantics: attributions = (x - b) * sum_k w_k grad F(b + a_k (x - b)),
 * with the points a_k and weights w_k of the chosen {@link PathRule} on [0, 1]. The (image, point) pairs run
 * through the gradient graph in batches of at most {@code internal_batch_size}, and no more than the
 * engine's gradient batch.
 */
final class IntegratedGradients implements Attribution, ConvergenceDelta {
  /** Values per task when the weighted gradients are summed. */
  private static final int SUM_BLOCK = 1 << 14;

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
    double[] alphas = rule.alphas();
    double[] weights = rule.weights();
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    int k = alphas.length;
    double[] total = new double[n * item];
    int chunk = ctx.engine().gradientCallSize(p.internalBatchSize());
    float[] x = inputs.data();
    float[] b = baselines.data();
    // One array of path points, refilled for every chunk but the last, shorter one.
    float[] buffer = new float[Math.min(chunk, n * k) * item];
    Tensor gradients = null; // the last chunk's, written over by the next one of its size
    for (int start = 0; start < n * k; start += chunk) {
      int end = Math.min(n * k, start + chunk);
      float[] points = end - start == chunk ? buffer : new float[(end - start) * item];
      long[] pointTargets = new long[end - start];
      int first = start;
      // The point and sum loops run on every core while ONNX Runtime's threads wait for the next call.
      IntStream.range(start, end).parallel().forEach(q -> {
        int base = (q / k) * item;
        int dst = (q - first) * item;
        float a = (float) alphas[q % k];
        for (int j = 0; j < item; j++) {
          points[dst + j] = b[base + j] + a * (x[base + j] - b[base + j]);
        }
      });
      for (int q = start; q < end; q++) {
        pointTargets[q - start] = targets[q / k];
      }
      long[] shape = inputs.shape().clone();
      shape[0] = end - start;
      gradients = TargetGradients.of(ctx.engine(), new Tensor(shape, points), pointTargets, end - start, gradients);
      float[] grads = gradients.data();
      // Blocks of each image's values, each adding the points in order: the same sums as one loop.
      int blocks = (item + SUM_BLOCK - 1) / SUM_BLOCK;
      IntStream.range(0, blocks).parallel().forEach(block -> {
        int from = block * SUM_BLOCK;
        int to = Math.min(item, from + SUM_BLOCK);
        for (int q = first; q < end; q++) {
          int base = (q / k) * item;
          int src = (q - first) * item;
          double w = weights[q % k];
          for (int j = from; j < to; j++) {
            total[base + j] += w * grads[src + j];
          }
        }
      });
    }
    float[] out = new float[n * item];
    for (int j = 0; j < out.length; j++) {
      out[j] = (float) ((x[j] - b[j]) * total[j]);
    }
    return new Tensor(inputs.shape(), out);
  }

  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    int batch = Math.max(1, Math.min(p.internalBatchSize(), (int) inputs.dim(0)));
    double[] end = TargetGradients.scores(ctx.engine(), inputs, targets, batch);
    double[] start = TargetGradients.scores(ctx.engine(), baselines(inputs), targets, batch);
    double[] delta = attributions.itemSums();
    for (int i = 0; i < delta.length; i++) {
      delta[i] -= end[i] - start[i];
    }
    return delta;
  }

  /** The baseline of every image (see {@link Baseline#ofImages}). */
  Tensor baselines(Tensor inputs) {
    return baseline.ofImages(inputs, ctx);
  }
}

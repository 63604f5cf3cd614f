package org.netvis.plugins.deeplift;

import java.util.Map;
import java.util.stream.IntStream;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * DeepLIFT with Captum's semantics: each image runs beside its baseline through the gradient graph
 * whose nonlinearities take DeepLIFT's rescale rule ({@link VjpSpec.Backward#DEEPLIFT}), both rows
 * seeded at the target score as in Captum's doubled batch; the attribution is (x - b) times the image
 * row's multipliers. The rule makes the attributions add up to F(x) - F(b) (but where overlapping
 * max-pool windows share a winner), which the convergence delta measures.
 */
final class DeepLift implements Attribution, ConvergenceDelta {
  private static final VjpSpec SPEC = VjpSpec.DEFAULT.withBackward(VjpSpec.Backward.DEEPLIFT);

  private final AttributionContext ctx;
  private final DeepLiftProvider.Parameters p;
  private final Baseline baseline;

  DeepLift(AttributionContext ctx, DeepLiftProvider.Parameters p) {
    this.ctx = ctx;
    this.p = p;
    this.baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), ctx);
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    Engine engine = ctx.engine();
    Tensor baselines = baseline.ofImages(inputs, ctx);
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    int classes = (int) engine.classes();
    int perCall = Math.max(1, engine.gradientCallSize(2 * p.internalBatchSize()) / 2);
    float[] x = inputs.data();
    float[] b = baselines.data();
    float[] out = new float[n * item];
    String seed = engine.graph().outputName();
    String gradient = VjpSpec.gradientName(engine.graph().inputName());
    for (int start = 0; start < n; start += perCall) {
      int count = Math.min(n, start + perCall) - start;
      int first = start;
      // Rows 2i and 2i + 1: image i and its baseline, both seeded at the target, as Captum's DeepLift
      // selects the target from both halves of its doubled batch.
      float[] pairs = new float[2 * count * item];
      float[] cotangent = new float[2 * count * classes];
      for (int i = 0; i < count; i++) {
        System.arraycopy(x, (first + i) * item, pairs, 2 * i * item, item);
        System.arraycopy(b, (first + i) * item, pairs, (2 * i + 1) * item, item);
        cotangent[2 * i * classes + (int) targets[first + i]] = 1f;
        cotangent[(2 * i + 1) * classes + (int) targets[first + i]] = 1f;
      }
      long[] shape = inputs.shape().clone();
      shape[0] = 2L * count;
      Tensor g = engine.vjp(new Tensor(shape, pairs), SPEC,
          Map.of(seed, new Tensor(new long[] {2L * count, classes}, cotangent))).get(gradient);
      IntStream.range(0, count).parallel().forEach(i -> {
        int at = (first + i) * item;
        int row = 2 * i * item;
        for (int k = 0; k < item; k++) {
          out[at + k] = (x[at + k] - b[at + k]) * g.data()[row + k];
        }
      });
    }
    return new Tensor(inputs.shape(), out);
  }

  /** Captum's delta: sum(attributions) - (F(x) - F(b)) per image. */
  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    int batch = Math.max(1, Math.min(p.internalBatchSize(), (int) inputs.dim(0)));
    double[] end = TargetGradients.scores(ctx.engine(), inputs, targets, batch);
    double[] start = TargetGradients.scores(ctx.engine(), baseline.ofImages(inputs, ctx), targets, batch);
    int item = attributions.itemSize();
    double[] delta = new double[end.length];
    for (int i = 0; i < delta.length; i++) {
      double sum = 0;
      for (int k = i * item; k < (i + 1) * item; k++) {
        sum += attributions.data()[k];
      }
      delta[i] = sum - (end[i] - start[i]);
    }
    return delta;
  }
}

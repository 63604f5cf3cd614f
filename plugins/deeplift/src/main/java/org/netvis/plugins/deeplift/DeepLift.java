package org.netvis.plugins.deeplift;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.netvis.engine.attribution.BaselineDistribution;
import org.netvis.engine.attribution.ReferencePairs;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * DeepLIFT with Captum's semantics: each image runs beside a reference through the gradient graph
 * whose nonlinearities take DeepLIFT's rescale rule ({@link VjpSpec.Backward#DEEPLIFT}), both rows
 * seeded at the target score as in Captum's doubled batch; the attribution is (x - b) times the image
 * row's multipliers, averaged over the image's references (one for DeepLIFT, the distribution for
 * DeepLIFT SHAP, as Captum's DeepLiftShap averages DeepLift over its baselines). The rule makes each
 * reference's attributions add up to F(x) - F(b), which the convergence delta measures.
 */
final class DeepLift implements Attribution, ConvergenceDelta {
  private static final VjpSpec SPEC = VjpSpec.DEFAULT.withBackward(VjpSpec.Backward.DEEPLIFT);

  private final Engine engine;
  private final ReferencePairs.References references;
  private final int internalBatchSize;

  DeepLift(Engine engine, ReferencePairs.References references, int internalBatchSize) {
    this.engine = engine;
    this.references = references;
    this.internalBatchSize = internalBatchSize;
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    List<Tensor> refs = references.of(inputs);
    int n = (int) inputs.dim(0);
    int k = refs.size();
    int item = inputs.itemSize();
    float[] x = inputs.data();
    double[] total = new double[n * item];
    String seed = engine.graph().outputName();
    String gradient = VjpSpec.gradientName(engine.graph().inputName());
    for (ReferencePairs pairs : ReferencePairs.of(engine, n, k, internalBatchSize)) {
      Tensor g = engine.vjp(pairs.rows(inputs, refs), SPEC,
          Map.of(seed, ClassScores.oneHot(pairs.targets(targets), engine.classes()))).get(gradient);
      // Each image's pairs add on the image's own thread, in reference order.
      IntStream.range(pairs.image(0), pairs.image(pairs.count() - 1) + 1).parallel().forEach(image -> {
        for (int p = 0; p < pairs.count(); p++) {
          if (pairs.image(p) != image) {
            continue;
          }
          float[] b = refs.get(pairs.reference(p)).data();
          int row = 2 * p * item;
          for (int j = 0; j < item; j++) {
            int at = image * item + j;
            total[at] += (double) (x[at] - b[at]) * g.data()[row + j];
          }
        }
      });
    }
    float[] out = new float[n * item];
    for (int j = 0; j < out.length; j++) {
      out[j] = (float) (total[j] / k);
    }
    return new Tensor(inputs.shape(), out);
  }

  /** Captum's delta, averaged over each image's references: sum(attributions) - (F(x) - mean F(b)). */
  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    return ConvergenceDelta.of(attributions.itemSums(),
        BaselineDistribution.scoreEnds(engine, inputs, references.of(inputs), targets, internalBatchSize));
  }
}

package org.netvis.plugins.lrp;

import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.graph.LrpRules;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.ConvergenceDelta;
import org.netvis.engine.tensor.Tensor;

/**
 * LRP with Captum's semantics: the gradient graph's relevance variant ({@link VjpSpec.Backward#LRP})
 * passes a relevance of 1 from the target logit back to the input, each layer by its rule; the
 * attribution is that times the target's score, the relevance LRP starts from (Captum multiplies its
 * normalized relevance by the output in the same way).
 */
final class Lrp implements Attribution, ConvergenceDelta {
  private final Engine engine;
  private final VjpSpec spec;
  private final int internalBatchSize;

  Lrp(Engine engine, LrpRules rules, int internalBatchSize) {
    this.engine = engine;
    this.spec = VjpSpec.DEFAULT.withLrp(rules);
    this.internalBatchSize = internalBatchSize;
  }

  /** Derives (or finds) the relevance graph at the model's input size. */
  void prepare() {
    engine.gradientGraph(spec, engine.inputHeight(), engine.inputWidth());
  }

  @Override
  public Tensor attribute(Tensor inputs, long[] targets) {
    TargetGradients.Scored run = TargetGradients.scored(engine, spec, inputs, targets, internalBatchSize);
    float[] relevance = run.gradients().data();
    int item = inputs.itemSize();
    float[] out = new float[relevance.length];
    for (int j = 0; j < out.length; j++) {
      out[j] = (float) (relevance[j] * run.scores()[j / item]);
    }
    return new Tensor(inputs.shape(), out);
  }

  /**
   * Captum's delta for LRP: the attributions' sum minus the target's score, the relevance lost on the
   * way (to biases, to epsilon, to the gamma and alpha1_beta0 layers' changed outputs).
   */
  @Override
  public double[] convergenceDelta(Tensor attributions, Tensor inputs, long[] targets) {
    int n = (int) inputs.dim(0);
    double[] scores = TargetGradients.scores(engine, inputs, targets, internalBatchSize);
    double[] delta = attributions.itemSums();
    for (int i = 0; i < n; i++) {
      delta[i] -= scores[i];
    }
    return delta;
  }
}

package org.netvis.plugins.guidedbackprop;

import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;

/**
 * Guided backpropagation: the target score's gradient through a gradient graph whose Relu nodes
 * pass only positive gradients where their input was positive (Captum's GuidedBackprop, which
 * overrides nn.ReLU the same way). The graph is derived and cached like the plain one.
 */
public final class GuidedBackpropProvider
    extends DeclaredAttributionProvider<GuidedBackpropProvider.Parameters> {
  public GuidedBackpropProvider() {
    super("guided-backprop",
        "Guided backpropagation (Springenberg et al. 2015): gradients with negative values stopped at every ReLU",
        Parameters.class,
        (context, p) -> modifiedGradient(context.engine(), VjpSpec.Backward.GUIDED, p.internalBatchSize()));
  }

  /** Parameters of guided backpropagation and the deconvnet. */
  public record Parameters(
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {}

  /** The target score's input gradient through a gradient graph with the given Relu rule. */
  static Attribution modifiedGradient(Engine engine, VjpSpec.Backward rule, int batchSize) {
    VjpSpec spec = VjpSpec.DEFAULT.withBackward(rule);
    return (inputs, targets) -> TargetGradients.of(engine, spec, inputs, targets, batchSize);
  }

  /** Registers the deconvnet. */
  public static final class Deconvnet extends DeclaredAttributionProvider<Parameters> {
    public Deconvnet() {
      super("deconvnet",
          "Deconvnet (Zeiler and Fergus 2014): gradients with negative values stopped at every ReLU, whatever its"
              + " input",
          Parameters.class,
          (context, p) -> modifiedGradient(context.engine(), VjpSpec.Backward.DECONVNET, p.internalBatchSize()));
    }
  }
}

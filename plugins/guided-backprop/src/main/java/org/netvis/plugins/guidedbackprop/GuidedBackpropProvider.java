package org.netvis.plugins.guidedbackprop;

import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;
import org.netvis.engine.spi.Param;

/**
 * Guided backpropagation: the target score's gradient through a gradient graph whose Relu nodes
 * pass only positive gradients where their input was positive (Captum's GuidedBackprop, which
 * overrides nn.ReLU the same way). The graph is derived and cached like the plain one.
 */
public final class GuidedBackpropProvider implements AttributionProvider {

  /** Parameters of guided backpropagation and the deconvnet. */
  public record Parameters(
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int internalBatchSize) {}

  @Override
  public String id() {
    return "guided-backprop";
  }

  @Override
  public String description() {
    return "Guided backpropagation (Springenberg et al. 2015): gradients with negative values stopped at every ReLU";
  }

  @Override
  public Class<? extends Record> parameters() {
    return Parameters.class;
  }

  @Override
  public Attribution create(AttributionContext context, Record parameters) {
    return modifiedGradient(context.engine(), VjpSpec.Backward.GUIDED, ((Parameters) parameters).internalBatchSize());
  }

  /** The target score's input gradient through a gradient graph with the given Relu rule. */
  static Attribution modifiedGradient(Engine engine, VjpSpec.Backward rule, int batchSize) {
    VjpSpec spec = VjpSpec.DEFAULT.withBackward(rule);
    return (inputs, targets) -> TargetGradients.of(engine, spec, inputs, targets, batchSize);
  }

  /** Registers the deconvnet. */
  public static final class Deconvnet implements AttributionProvider {
    @Override
    public String id() {
      return "deconvnet";
    }

    @Override
    public String description() {
      return "Deconvnet (Zeiler and Fergus 2014): gradients with negative values stopped at every ReLU, whatever its input";
    }

    @Override
    public Class<? extends Record> parameters() {
      return Parameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      return modifiedGradient(context.engine(), VjpSpec.Backward.DECONVNET,
          ((Parameters) parameters).internalBatchSize());
    }
  }
}

package org.netvis.plugins.lrp;

import java.util.Map;
import org.netvis.engine.attribution.RelevanceRules;
import org.netvis.engine.spi.DeclaredAttributionProvider;
import org.netvis.engine.spi.Param;

/** Registers layer-wise relevance propagation. */
public final class LrpProvider extends DeclaredAttributionProvider<LrpProvider.Parameters> {
  public LrpProvider() {
    super("lrp",
        "Layer-wise relevance propagation (Bach et al. 2015), as Captum's LRP: the target's score redistributed layer"
            + " by layer to the input with the epsilon, gamma, alpha1_beta0 or identity rule per layer; reports the"
            + " convergence delta",
        Parameters.class, (context, p) -> {
          // Checked when the method is created, so before any step of an experiment runs.
          Lrp method = new Lrp(context.engine(), RelevanceRules.of(context, p.rule(), p.layers(), p.zeroBias()),
              p.internalBatchSize());
          // A model with a node LRP has no rule for (a transformer's LayerNormalization) fails here, naming
          // the node; the graph derived for the check is the one the step runs.
          method.prepare();
          return method;
        });
  }

  /** Parameters of LRP, with Captum's defaults. */
  public record Parameters(
      @Param(description = RelevanceRules.RULE, defaultValue = "epsilon") String rule,
      @Param(description = RelevanceRules.LAYERS, defaultValue = "{}") Map<String, Object> layers,
      @Param(description = RelevanceRules.ZERO_BIAS, defaultValue = "false") boolean zeroBias,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096)
          int internalBatchSize) {}
}

package org.netvis.plugins.featureablation;

import org.netvis.engine.spi.DeclaredAttributionProvider;

/** Registers LIME. */
public final class LimeProvider extends DeclaredAttributionProvider<Parameters.Lime> {
  public LimeProvider() {
    super("lime",
        "LIME (Ribeiro et al. 2016; Captum's Lime): a Lasso of the target score on random coalitions of features,"
            + " weighted by their closeness to the input",
        Parameters.Lime.class, Lime::new);
  }
}

package org.netvis.plugins.featureablation;

import org.netvis.engine.spi.DeclaredAttributionProvider;

/** Registers KernelSHAP. */
public final class KernelShapProvider extends DeclaredAttributionProvider<Parameters.KernelShap> {
  public KernelShapProvider() {
    super("kernel-shap",
        "KernelSHAP (Lundberg and Lee 2017; Captum's KernelShap): a weighted linear regression of the target score on"
            + " random coalitions of features, drawn with the Shapley kernel",
        Parameters.KernelShap.class, KernelShap::new);
  }
}

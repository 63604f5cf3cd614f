package org.netvis.plugins.featureablation;

import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;

/** Registers KernelSHAP. */
public final class KernelShapProvider implements AttributionProvider {
  @Override
  public String id() {
    return "kernel-shap";
  }

  @Override
  public String description() {
    return "KernelSHAP (Lundberg and Lee 2017; Captum's KernelShap): a weighted linear regression of the target score"
        + " on random coalitions of features, drawn with the Shapley kernel";
  }

  @Override
  public Class<? extends Record> parameters() {
    return Parameters.KernelShap.class;
  }

  @Override
  public Attribution create(AttributionContext context, Record parameters) {
    return new KernelShap(context, (Parameters.KernelShap) parameters);
  }
}

package org.netvis.plugins.featureablation;

import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;

/** Registers LIME. */
public final class LimeProvider implements AttributionProvider {
  @Override
  public String id() {
    return "lime";
  }

  @Override
  public String description() {
    return "LIME (Ribeiro et al. 2016; Captum's Lime): a Lasso of the target score on random coalitions of features,"
        + " weighted by their closeness to the input";
  }

  @Override
  public Class<? extends Record> parameters() {
    return Parameters.Lime.class;
  }

  @Override
  public Attribution create(AttributionContext context, Record parameters) {
    return new Lime(context, (Parameters.Lime) parameters);
  }
}

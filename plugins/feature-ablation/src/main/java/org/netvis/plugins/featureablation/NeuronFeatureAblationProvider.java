package org.netvis.plugins.featureablation;

import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;

/** Registers neuron feature ablation. */
public final class NeuronFeatureAblationProvider implements AttributionProvider {
  @Override
  public String id() {
    return "neuron-feature-ablation";
  }

  @Override
  public String description() {
    return "Neuron feature ablation (Captum's NeuronFeatureAblation): a hidden unit's drop when a feature (a grid"
        + " cell or superpixel) takes the baseline's values, one feature at a time";
  }

  @Override
  public Class<? extends Record> parameters() {
    return Parameters.NeuronAblation.class;
  }

  @Override
  public Attribution create(AttributionContext context, Record parameters) {
    Parameters.NeuronAblation p = (Parameters.NeuronAblation) parameters;
    Neuron neuron = Neuron.resolve(context.engine(), p.layer(), p.neuron());
    return new FeatureAblation(Perturbing.of(context, p.features(), p.gridSize(), p.segments(), p.compactness(),
        p.baseline(), p.blurSigma(), p.perturbationsPerEval()).withObjective(Objective.unit(context.engine(), neuron)));
  }

  @Override
  public boolean explainsTargets() {
    return false;
  }
}

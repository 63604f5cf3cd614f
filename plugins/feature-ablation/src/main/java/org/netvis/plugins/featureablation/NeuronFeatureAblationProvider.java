package org.netvis.plugins.featureablation;

import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.spi.DeclaredAttributionProvider;

/** Registers neuron feature ablation. */
public final class NeuronFeatureAblationProvider extends DeclaredAttributionProvider<Parameters.NeuronAblation> {
  public NeuronFeatureAblationProvider() {
    super("neuron-feature-ablation",
        "Neuron feature ablation (Captum's NeuronFeatureAblation): a hidden unit's drop when a feature (a grid cell or"
            + " superpixel) takes the baseline's values, one feature at a time",
        Parameters.NeuronAblation.class, (context, p) -> {
          Neuron neuron = Neuron.resolve(context, p.layer(), p.neuron());
          return new FeatureAblation(Perturbing.of(context, p.features(), p.gridSize(), p.segments(), p.compactness(),
              p.baseline(), p.blurSigma(), p.perturbationsPerEval())
              .withObjective(Objective.unit(context.engine(), neuron)));
        });
  }

  @Override
  public boolean explainsTargets() {
    return false;
  }
}

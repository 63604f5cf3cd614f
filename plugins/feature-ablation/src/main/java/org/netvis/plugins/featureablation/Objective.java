package org.netvis.plugins.featureablation;

import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.Tensor;

/** What a perturbation method attributes, per image of a batch: its target's score, or a hidden unit's value. */
interface Objective {
  double[] of(Tensor images, long[] targets);

  static Objective targetScore(Engine engine) {
    return (images, targets) -> TargetGradients.scores(engine, images, targets, (int) images.dim(0));
  }

  /** The unit's value, whatever the targets (Captum's neuron perturbation methods). */
  static Objective unit(Engine engine, Neuron neuron) {
    return (images, targets) -> neuron.valuesAt(engine, images);
  }
}

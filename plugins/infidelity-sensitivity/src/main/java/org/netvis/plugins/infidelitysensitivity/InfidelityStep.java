package org.netvis.plugins.infidelitysensitivity;

import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.Attributions;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.tensor.Tensor;

/** Runs the listed attribution methods (found by id) and measures each one's infidelity. */
public final class InfidelityStep extends MethodMetric<MetricParameters.Infidelity> {
  @Inject
  public InfidelityStep(Attributions attributions) {
    super(attributions);
  }

  @Override
  String metric() {
    return "infidelity";
  }

  @Override
  List<String> methods(MetricParameters.Infidelity p) {
    return p.methods();
  }

  @Override
  Map<String, Object> methodParams(MetricParameters.Infidelity p) {
    return p.methodParams();
  }

  @Override
  double[] measure(StepContext ctx, MetricParameters.Infidelity p, Attribution method, Tensor maps,
      Perturbations perturbations) {
    return Infidelity.of(ctx.engine(), ctx.inputs().images(), maps, ctx.inputs().labels(),
        (i, out, offset, length) -> perturbations.gaussian(i, p.noiseStdev(), out, offset, length),
        p.nPerturbSamples(), p.normalize(), p.batchSize());
  }

  @Override
  Map<String, Object> settings(MetricParameters.Infidelity p) {
    return Map.of("n_perturb_samples", p.nPerturbSamples(), "noise_stdev", p.noiseStdev(), "normalize", p.normalize());
  }
}

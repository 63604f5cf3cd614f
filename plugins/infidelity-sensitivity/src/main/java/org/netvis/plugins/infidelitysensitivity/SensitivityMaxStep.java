package org.netvis.plugins.infidelitysensitivity;

import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.Attributions;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.tensor.Tensor;

/** Runs the listed attribution methods (found by id) and measures each one's maximum sensitivity. */
public final class SensitivityMaxStep extends MethodMetric<MetricParameters.SensitivityMax> {
  @Inject
  public SensitivityMaxStep(Attributions attributions) {
    super(attributions);
  }

  @Override
  String metric() {
    return "sensitivity_max";
  }

  @Override
  List<String> methods(MetricParameters.SensitivityMax p) {
    return p.methods();
  }

  @Override
  Map<String, Object> methodParams(MetricParameters.SensitivityMax p) {
    return p.methodParams();
  }

  @Override
  double[] measure(StepContext ctx, MetricParameters.SensitivityMax p, Attribution method, Tensor maps,
      Perturbations perturbations) {
    return SensitivityMax.of(method, ctx.inputs().images(), ctx.inputs().labels(), maps,
        (i, out, offset, length) -> perturbations.uniform(i, p.perturbRadius(), out, offset, length),
        p.nPerturbSamples());
  }

  @Override
  Map<String, Object> settings(MetricParameters.SensitivityMax p) {
    return Map.of("n_perturb_samples", p.nPerturbSamples(), "perturb_radius", p.perturbRadius(), "norm", "Frobenius");
  }
}

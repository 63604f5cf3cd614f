package org.netvis.plugins.infidelitysensitivity;

import jakarta.inject.Inject;
import java.util.Map;
import org.netvis.engine.attribution.AttributionStep;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.Attributions;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.tensor.Tensor;

/** Runs the listed attribution methods (found by id) and measures each one's maximum sensitivity. */
public final class SensitivityMaxStep implements Technique<MetricParameters.SensitivityMax> {
  private final Attributions attributions;

  @Inject
  public SensitivityMaxStep(Attributions attributions) {
    this.attributions = attributions;
  }

  @Override
  public void check(Engine engine, MetricParameters.SensitivityMax p) {
    attributions.checkListed(p.methods(), p.methodParams(), AttributionStep.StepAttributionContext.forCheck(engine,
        attributions));
  }

  @Override
  public StepResult run(StepContext ctx, MetricParameters.SensitivityMax p) throws Exception {
    InputBatch in = ctx.inputs();
    MetricTable table = new MetricTable("sensitivity_max", in);
    for (String id : p.methods()) {
      long start = System.nanoTime();
      Attribution method = attributions.createListed(id, p.methodParams(), AttributionStep.StepAttributionContext.of(ctx));
      Tensor map = method.attribute(in.images(), in.labels());
      // Every method meets the same perturbations.
      Perturbations noise = new Perturbations(ctx.seed(), ctx::itemIndex, in.size());
      double[] values = SensitivityMax.of(method, in.images(), in.labels(), map,
          (i, out, offset, length) -> noise.uniform(i, p.perturbRadius(), out, offset, length), p.nPerturbSamples());
      table.add(id, values, (System.nanoTime() - start) / 1e9);
      ctx.checkCancelled();
    }
    return table.result(Map.of("n_perturb_samples", p.nPerturbSamples(), "perturb_radius", p.perturbRadius(),
        "norm", "Frobenius"));
  }
}

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

/** Runs the listed attribution methods (found by id) and measures each one's infidelity. */
public final class InfidelityStep implements Technique<MetricParameters.Infidelity> {
  private final Attributions attributions;

  @Inject
  public InfidelityStep(Attributions attributions) {
    this.attributions = attributions;
  }

  @Override
  public void check(Engine engine, MetricParameters.Infidelity p) {
    attributions.checkListed(p.methods(), p.methodParams(), AttributionStep.StepAttributionContext.forCheck(engine,
        attributions));
  }

  @Override
  public StepResult run(StepContext ctx, MetricParameters.Infidelity p) throws Exception {
    InputBatch in = ctx.inputs();
    MetricTable table = new MetricTable("infidelity", in);
    for (String id : p.methods()) {
      long start = System.nanoTime();
      Attribution method = attributions.createListed(id, p.methodParams(), AttributionStep.StepAttributionContext.of(ctx));
      Tensor map = method.attribute(in.images(), in.labels());
      // Every method meets the same perturbations.
      Perturbations noise = new Perturbations(ctx.seed(), ctx::itemIndex, in.size());
      double[] values = Infidelity.of(ctx.engine(), in.images(), map, in.labels(),
          (i, out, offset, length) -> noise.gaussian(i, p.noiseStdev(), out, offset, length), p.nPerturbSamples(),
          p.normalize(), p.batchSize());
      table.add(id, values, (System.nanoTime() - start) / 1e9);
      ctx.checkCancelled();
    }
    return table.result(Map.of("n_perturb_samples", p.nPerturbSamples(), "noise_stdev", p.noiseStdev(),
        "normalize", p.normalize()));
  }
}

package org.netvis.plugins.infidelitysensitivity;

import java.util.List;
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

/**
 * A metric of attribution methods found by id: each listed method explains the step's images toward
 * their labels, then the metric measures its maps, every method under the same perturbations.
 */
abstract class MethodMetric<P extends Record> implements Technique<P> {
  private final Attributions attributions;

  MethodMetric(Attributions attributions) {
    this.attributions = attributions;
  }

  /** The metric's name in results.json. */
  abstract String metric();

  abstract List<String> methods(P p);

  abstract Map<String, Object> methodParams(P p);

  /** The metric of each image, for one method's maps of the inputs. */
  abstract double[] measure(StepContext ctx, P p, Attribution method, Tensor maps, Perturbations perturbations);

  /** The settings results.json records beside the values. */
  abstract Map<String, Object> settings(P p);

  @Override
  public void check(Engine engine, P p) {
    attributions.checkListed(methods(p), methodParams(p), AttributionStep.StepAttributionContext.forCheck(engine,
        attributions));
  }

  @Override
  public StepResult run(StepContext ctx, P p) throws Exception {
    InputBatch in = ctx.inputs();
    MetricTable table = new MetricTable(metric(), in);
    for (String id : methods(p)) {
      long start = System.nanoTime();
      AttributionStep.StepAttributionContext context = AttributionStep.StepAttributionContext.of(ctx);
      Attribution method = attributions.createListed(id, methodParams(p), context);
      Tensor maps = method.attribute(in.images(), in.labels());
      // A fresh set of generators per method: every method meets the same perturbations.
      Perturbations perturbations = new Perturbations(ctx.seed(), ctx::itemIndex, in.size());
      table.add(id, context.settled(), measure(ctx, p, method, maps, perturbations), (System.nanoTime() - start) / 1e9);
      ctx.checkCancelled();
    }
    return table.result(settings(p));
  }
}

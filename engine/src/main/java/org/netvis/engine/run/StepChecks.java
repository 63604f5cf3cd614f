package org.netvis.engine.run;

import java.util.ArrayList;
import java.util.List;
import org.netvis.engine.experiment.Experiment;
import org.netvis.engine.experiment.ExperimentError;
import org.netvis.engine.experiment.ExperimentException;
import org.netvis.engine.graph.GraphBuildException;
import org.netvis.engine.plugin.PluginException;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Technique;

/**
 * What an experiment file alone cannot show, checked once the model and the inputs are loaded and
 * before any step runs (a local run or a Spark job's driver): each step's parameters against the
 * model ({@link Technique#check}) and its image selection against the inputs, every problem at once.
 */
public final class StepChecks {
  private StepChecks() {}

  /** @throws ExperimentException naming every problem, with its step and key */
  public static void check(Experiment experiment, PluginRegistry plugins, Engine engine, int images) {
    List<ExperimentError> errors = new ArrayList<>();
    for (int i = 0; i < experiment.steps().size(); i++) {
      Experiment.Step step = experiment.steps().get(i);
      List<Integer> selection = step.images() == null ? List.of() : step.images();
      for (int k = 0; k < selection.size(); k++) {
        if (selection.get(k) >= images) {
          errors.add(new ExperimentError("steps[" + i + "].images[" + k + "]", "image " + selection.get(k)
              + " does not exist (expected " + (images == 0 ? "no selection: the experiment has no images"
                  : "0 to " + (images - 1) + ": the experiment has " + images + (images == 1 ? " image" : " images"))
              + ")"));
        }
      }
      Technique<Record> technique;
      try {
        technique = plugins.instantiate(step.technique());
      } catch (PluginException e) {
        continue; // reported by the step itself, after the steps before it have run
      }
      try {
        technique.check(engine, step.parameters());
      } catch (IllegalArgumentException | GraphBuildException e) {
        errors.add(new ExperimentError("steps[" + i + "].params", e.getMessage()));
      }
    }
    if (!errors.isEmpty()) {
      throw new ExperimentException(experiment.file(), errors);
    }
  }
}

package org.netvis.engine.spi;

import java.nio.file.Path;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.runtime.Engine;
import org.slf4j.Logger;

/** Everything a technique may use while it runs one step of an experiment. */
public interface StepContext {

  Engine engine();

  ResolvedModel model();

  /** The experiment's images in the model's normalized space, with labels and names. */
  InputBatch inputs();

  /** This step's seed, derived from the experiment seed and the step index. */
  long seed();

  /**
   * The data-set index of input image {@code i}, for per-image seeds
   * ({@code Seeds.forItem(seed(), itemIndex(i))}): its position among the step's inputs in a local
   * run; a dataset-scale run that hands a technique a slice of the data set maps the slice back, so
   * that an image draws the same numbers however the data set is partitioned.
   */
  default int itemIndex(int i) {
    return i;
  }

  /** The step's own output directory (exists, empty). */
  Path outputDir();

  /** A progress display for {@code total} units of work. */
  Progress progress(String task, long total);

  Logger log();

  /** Every attribution method, by id: for techniques that smooth, evaluate or check attributions. */
  Attributions attributions();

  /** Throws {@link java.util.concurrent.CancellationException} when the run was interrupted. */
  void checkCancelled();
}

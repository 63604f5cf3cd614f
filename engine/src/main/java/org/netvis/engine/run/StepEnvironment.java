package org.netvis.engine.run;

import java.nio.file.Path;
import java.util.function.IntUnaryOperator;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attributions;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.spi.StepContext;
import org.slf4j.Logger;

/**
 * A {@link StepContext} made of its parts: what a local run and a dataset-scale run hand a
 * technique, differing only in how they show progress, cancel, and number the images.
 *
 * @param progress makes a progress display for (task, total)
 * @param cancellation throws {@link java.util.concurrent.CancellationException} when the run was stopped
 * @param itemIndexes the data-set index of each input image (identity in a local run)
 */
public record StepEnvironment(Engine engine, ResolvedModel model, InputBatch inputs, long seed, Path outputDir,
    Logger log, Attributions attributions, ProgressFactory progress, Runnable cancellation,
    IntUnaryOperator itemIndexes) implements StepContext {

  /** Makes a progress display. */
  @FunctionalInterface
  public interface ProgressFactory {
    Progress create(String task, long total);
  }

  @Override
  public Progress progress(String task, long total) {
    return progress.create(task, total);
  }

  @Override
  public void checkCancelled() {
    cancellation.run();
  }

  @Override
  public int itemIndex(int i) {
    return itemIndexes.applyAsInt(i);
  }
}

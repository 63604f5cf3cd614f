package org.netvis.spark;

import java.nio.file.Path;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Attributions;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.spi.StepContext;
import org.slf4j.Logger;

/** A step's context for one batch of a partition: the batch's images keep their data-set indices. */
final class PartitionContext implements StepContext {
  private final Engine engine;
  private final ResolvedModel model;
  private final InputBatch inputs;
  private final long seed;
  private final Path dir;
  private final int[] indices;
  private final PluginRegistry plugins;
  private final Logger log;

  PartitionContext(Engine engine, ResolvedModel model, InputBatch inputs, long seed, Path dir, int[] indices,
      PluginRegistry plugins, Logger log) {
    this.engine = engine;
    this.model = model;
    this.inputs = inputs;
    this.seed = seed;
    this.dir = dir;
    this.indices = indices.clone();
    this.plugins = plugins;
    this.log = log;
  }

  @Override
  public Engine engine() {
    return engine;
  }

  @Override
  public ResolvedModel model() {
    return model;
  }

  @Override
  public InputBatch inputs() {
    return inputs;
  }

  @Override
  public long seed() {
    return seed;
  }

  @Override
  public int itemIndex(int i) {
    return indices[i];
  }

  @Override
  public Path outputDir() {
    return dir;
  }

  @Override
  public Progress progress(String task, long total) {
    return Progress.NONE;
  }

  @Override
  public Logger log() {
    return log;
  }

  @Override
  public Attributions attributions() {
    return plugins.attributions();
  }

  @Override
  public void checkCancelled() {
    if (org.apache.spark.TaskContext.get() != null && org.apache.spark.TaskContext.get().isInterrupted()) {
      throw new java.util.concurrent.CancellationException("the Spark task was killed");
    }
  }
}

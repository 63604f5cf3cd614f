package org.netvis.spark;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;

/**
 * What an executor JVM keeps for every task it runs, created on first use: one Engine per model
 * (its gradient graph from the file the driver derived and shipped, never derived again), the
 * resolved model, the plugins and the loaded experiment (loading resolves and checks its inputs,
 * which a data-set id does by hashing the archive: once per JVM, not per task).
 */
final class ExecutorEngines {
  private static final Map<String, Engine> ENGINES = new HashMap<>();
  private static final Map<String, ResolvedModel> MODELS = new HashMap<>();
  private static final Map<String, org.netvis.engine.experiment.Experiment> EXPERIMENTS = new HashMap<>();
  private static PluginRegistry plugins;

  private ExecutorEngines() {}

  static synchronized ResolvedModel model(String model) throws java.io.IOException {
    ResolvedModel m = MODELS.get(model);
    if (m == null) {
      m = ModelRegistry.fromEnvironment(false).resolve(model);
      MODELS.put(model, m);
    }
    return m;
  }

  /** The executor's engine for {@code model}, its companion graphs read from {@code graphCache}. */
  static synchronized Engine engine(String model, Path graphCache, String device, int threads) throws java.io.IOException {
    String key = model + "@" + graphCache + "@" + threads;
    Engine e = ENGINES.get(key);
    if (e == null) {
      e = Engine.open(model(model), EngineOptions.defaults()
          .withDevice(org.netvis.engine.runtime.Device.parse(device)).withCompanionCache(graphCache).withThreads(threads));
      ENGINES.put(key, e);
      Engine opened = e;
      Runtime.getRuntime().addShutdownHook(new Thread(opened::close));
    }
    return e;
  }

  static synchronized org.netvis.engine.experiment.Experiment experiment(String file, java.util.List<String> overrides) {
    String version;
    try {
      version = java.nio.file.Files.getLastModifiedTime(Path.of(file)).toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read the experiment " + file, e);
    }
    // Keyed by the file's modification time too: a later job in the same JVM may have rewritten it.
    return EXPERIMENTS.computeIfAbsent(file + "@" + version + "\n" + String.join("\n", overrides), k ->
        new org.netvis.engine.experiment.ExperimentLoader(plugins(), ModelRegistry.fromEnvironment(false),
            org.netvis.engine.dataset.DatasetRegistry.fromEnvironment(false)).load(Path.of(file), overrides));
  }

  static synchronized PluginRegistry plugins() {
    if (plugins == null) {
      plugins = PluginRegistry.discover(java.util.List.of());
    }
    return plugins;
  }
}

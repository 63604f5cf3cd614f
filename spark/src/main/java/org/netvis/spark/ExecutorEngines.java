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
 * One Engine per executor JVM and model, created on first use and reused by every task the JVM
 * runs; the gradient graph comes from the file the driver derived (shipped with the job), so
 * executors never derive it again.
 */
final class ExecutorEngines {
  private static final Map<String, Engine> ENGINES = new HashMap<>();
  private static final Map<String, ResolvedModel> MODELS = new HashMap<>();
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

  static synchronized PluginRegistry plugins() {
    if (plugins == null) {
      plugins = PluginRegistry.discover(java.util.List.of());
    }
    return plugins;
  }
}

package org.netvis.cli;

import java.util.concurrent.Callable;
import org.netvis.engine.experiment.ParameterBinder;
import org.netvis.engine.plugin.PluginRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Lists every technique with its parameters. */
@Command(name = "plugins", mixinStandardHelpOptions = true,
    description = "List every technique: id, description, and each parameter with type, default and meaning.")
final class PluginsCommand implements Callable<Integer> {
  @Mixin PluginOptions options;

  @Override
  public Integer call() {
    PluginRegistry registry = options.registry();
    for (PluginRegistry.Plugin p : registry.all()) {
      System.out.printf("%s%n  %s%n  from %s%n", p.provider().id(), p.provider().description(), p.source());
      for (ParameterBinder.ParameterInfo info : ParameterBinder.describe(p.provider().parameters())) {
        System.out.printf("    %-16s %-22s default %-12s %s%n", info.name(), info.type(), info.defaultValue(),
            info.description());
      }
      System.out.println();
    }
    return 0;
  }
}

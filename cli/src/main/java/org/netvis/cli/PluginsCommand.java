package org.netvis.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.netvis.engine.experiment.ParameterBinder;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.spi.NearestNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** Lists every technique, or the ones named, with its parameters. */
@Command(name = "plugins", mixinStandardHelpOptions = true,
    description = "List every technique (or the ones named): id, description, and each parameter with type,"
        + " default and meaning.")
final class PluginsCommand implements Callable<Integer> {
  @Mixin PluginOptions options;

  @Parameters(arity = "0..*", paramLabel = "ID", description = "Only these techniques, in this order.")
  List<String> ids = List.of();

  @Override
  public Integer call() {
    PluginRegistry registry = options.registry();
    List<PluginRegistry.Plugin> shown = new ArrayList<>();
    for (String id : ids) {
      // Every unknown id is named before anything is listed, as an experiment's problems are.
      shown.add(registry.find(id).orElseThrow(() -> new IllegalArgumentException("unknown technique '" + id + "'"
          + NearestNames.didYouMean(id, registry.ids()) + "; `netvis plugins` lists them all")));
    }
    for (PluginRegistry.Plugin p : ids.isEmpty() ? registry.all() : shown) {
      System.out.printf("%s%n  %s%n  from %s%n", p.provider().id(), p.provider().description(), p.source());
      var infos = ParameterBinder.describe(p.provider().parameters());
      // Columns as wide as this technique's longest name, type and default (a long list default
      // overflows its column rather than push every description right), so that they line up.
      String row = "    %-" + width(infos, ParameterBinder.ParameterInfo::name, 16) + "s %-"
          + width(infos, ParameterBinder.ParameterInfo::type, 22) + "s default %-"
          + Math.min(24, width(infos, ParameterBinder.ParameterInfo::defaultValue, 12)) + "s %s%n";
      for (ParameterBinder.ParameterInfo info : infos) {
        System.out.printf(row, info.name(), info.type(), info.defaultValue(), info.description());
      }
      System.out.println();
    }
    return 0;
  }

  private static int width(java.util.List<ParameterBinder.ParameterInfo> infos,
      java.util.function.Function<ParameterBinder.ParameterInfo, String> column, int least) {
    return Math.max(least, infos.stream().mapToInt(i -> String.valueOf(column.apply(i)).length()).max().orElse(0));
  }
}

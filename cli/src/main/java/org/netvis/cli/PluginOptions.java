package org.netvis.cli;

import java.nio.file.Path;
import org.netvis.engine.plugin.PluginRegistry;
import picocli.CommandLine.Option;

/** Where plugin jars come from besides the classpath. */
final class PluginOptions {
  @Option(names = "--plugins", description = "Directory of technique plugin jars (also NETVIS_PLUGINS).")
  Path plugins;

  PluginRegistry registry() {
    return PluginRegistry.discover(PluginRegistry.pluginDirs(plugins));
  }
}

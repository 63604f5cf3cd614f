package org.netvis.engine.plugin;

/** A plugin cannot be loaded or instantiated; the message names the plugin and its jar. */
public final class PluginException extends RuntimeException {
  public PluginException(String message) {
    super(message);
  }

  public PluginException(String message, Throwable cause) {
    super(message, cause);
  }
}

package org.netvis.engine.plugin;

import com.google.inject.Guice;
import com.google.inject.Injector;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.netvis.engine.attribution.AttributionStep;
import org.netvis.engine.spi.AttributionProvider;
import org.netvis.engine.spi.Attributions;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/**
 * The techniques and attribution methods netvis knows: providers found with {@link ServiceLoader}
 * on the classpath and in plugin jars (each jar in its own class loader). Techniques are created by
 * Guice, each in a child injector holding its plugin's own module. Every attribution method is also
 * a technique of the same id (its step writes attributions and figures), unless a technique of that
 * id exists already (saliency keeps the assignment's figure).
 */
public final class PluginRegistry {
  private final Map<String, Plugin> plugins;
  private final AttributionRegistry attributions;
  private final Injector root;

  /** A discovered technique and where it came from (a jar path, or the classpath entry). */
  public record Plugin(TechniqueProvider provider, String source) {}

  /** A discovered attribution method and where it came from. */
  public record AttributionPlugin(AttributionProvider provider, String source) {}

  private PluginRegistry(Map<String, Plugin> plugins, Map<String, AttributionPlugin> attributions) {
    this.plugins = plugins;
    this.attributions = new AttributionRegistry(attributions);
    // Techniques that build on attribution methods (and their checks) find them by id.
    this.root = Guice.createInjector(binder -> binder.bind(Attributions.class).toInstance(this.attributions));
  }

  /** The attribution methods, by id. */
  public AttributionRegistry attributions() {
    return attributions;
  }

  /** Directories from {@code --plugins} or the {@code NETVIS_PLUGINS} path list. */
  public static List<Path> pluginDirs(Path explicit) {
    List<Path> dirs = new ArrayList<>();
    if (explicit != null) {
      dirs.add(explicit);
    }
    String env = System.getenv("NETVIS_PLUGINS");
    if (env != null) {
      for (String p : env.split(java.io.File.pathSeparator)) {
        if (!p.isBlank()) {
          dirs.add(Path.of(p));
        }
      }
    }
    return dirs;
  }

  public static PluginRegistry discover(List<Path> pluginDirs) {
    return discover(PluginRegistry.class.getClassLoader(), pluginDirs);
  }

  public static PluginRegistry discover(ClassLoader parent, List<Path> pluginDirs) {
    Map<String, Plugin> found = new LinkedHashMap<>();
    Map<String, AttributionPlugin> methods = new LinkedHashMap<>();
    for (TechniqueProvider p : load(ServiceLoader.load(TechniqueProvider.class, parent), "the classpath")) {
      add(found, new Plugin(p, sourceOf(p)));
    }
    for (AttributionProvider p : loadAttributions(ServiceLoader.load(AttributionProvider.class, parent), "the classpath")) {
      addAttribution(methods, new AttributionPlugin(p, sourceOf(p)));
    }
    for (Path dir : pluginDirs) {
      if (!Files.isDirectory(dir)) {
        throw new PluginException("plugins directory " + dir + " does not exist");
      }
      List<Path> jars = new ArrayList<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.jar")) {
        s.forEach(jars::add);
      } catch (IOException e) {
        throw new PluginException("cannot list plugins directory " + dir + ": " + e.getMessage(), e);
      }
      jars.sort(null);
      for (Path jar : jars) {
        URLClassLoader loader;
        try {
          loader = new URLClassLoader("netvis-plugin:" + jar.getFileName(), new URL[] {jar.toUri().toURL()}, parent);
        } catch (MalformedURLException e) {
          throw new PluginException(jar + ": " + e.getMessage(), e);
        }
        for (TechniqueProvider p : load(ServiceLoader.load(TechniqueProvider.class, loader), jar.toString())) {
          // Parent-first delegation also lists classpath providers; keep only this jar's own.
          if (p.getClass().getClassLoader() == loader) {
            add(found, new Plugin(p, jar.toAbsolutePath().toString()));
          }
        }
        for (AttributionProvider p : loadAttributions(ServiceLoader.load(AttributionProvider.class, loader), jar.toString())) {
          if (p.getClass().getClassLoader() == loader) {
            addAttribution(methods, new AttributionPlugin(p, jar.toAbsolutePath().toString()));
          }
        }
      }
    }
    for (AttributionPlugin m : methods.values()) {
      if (!found.containsKey(m.provider().id())) {
        found.put(m.provider().id(), new Plugin(new AttributionStep.Provider(m.provider()), m.source()));
      }
    }
    return new PluginRegistry(found, methods);
  }

  private static List<AttributionProvider> loadAttributions(ServiceLoader<AttributionProvider> loader, String where) {
    List<AttributionProvider> out = new ArrayList<>();
    try {
      for (AttributionProvider p : loader) {
        out.add(p);
      }
    } catch (ServiceConfigurationError e) {
      throw new PluginException("an attribution provider in " + where + " cannot be loaded: " + e.getMessage(), e);
    }
    return out;
  }

  private static void addAttribution(Map<String, AttributionPlugin> found, AttributionPlugin plugin) {
    String id = plugin.provider().id();
    if (id == null || !id.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
      throw new PluginException("attribution id '" + id + "' from " + plugin.source()
          + " is not lowercase words joined by '-'");
    }
    AttributionPlugin earlier = found.get(id);
    if (earlier != null) {
      throw new PluginException("attribution id '" + id + "' is provided twice: by " + earlier.source() + " ("
          + earlier.provider().getClass().getName() + ") and by " + plugin.source() + " ("
          + plugin.provider().getClass().getName() + ")");
    }
    found.put(id, plugin);
  }

  private static List<TechniqueProvider> load(ServiceLoader<TechniqueProvider> loader, String where) {
    List<TechniqueProvider> out = new ArrayList<>();
    try {
      for (TechniqueProvider p : loader) {
        out.add(p);
      }
    } catch (ServiceConfigurationError e) {
      throw new PluginException("a technique provider in " + where + " cannot be loaded: " + e.getMessage(), e);
    }
    return out;
  }

  private static void add(Map<String, Plugin> found, Plugin plugin) {
    String id = plugin.provider().id();
    if (id == null || !id.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
      throw new PluginException("technique id '" + id + "' from " + plugin.source()
          + " is not lowercase words joined by '-'");
    }
    Plugin earlier = found.get(id);
    if (earlier != null) {
      throw new PluginException("technique id '" + id + "' is provided twice: by " + earlier.source() + " ("
          + earlier.provider().getClass().getName() + ") and by " + plugin.source() + " ("
          + plugin.provider().getClass().getName() + ")");
    }
    found.put(id, plugin);
  }

  private static String sourceOf(Object p) {
    try {
      return Path.of(p.getClass().getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (Exception e) {
      return "the classpath";
    }
  }

  public Collection<Plugin> all() {
    return plugins.values();
  }

  public List<String> ids() {
    return new ArrayList<>(plugins.keySet());
  }

  public Optional<Plugin> find(String id) {
    return Optional.ofNullable(plugins.get(id));
  }

  /** A new instance of the technique, built by Guice with its plugin's module. */
  @SuppressWarnings("unchecked")
  public Technique<Record> instantiate(String id) {
    Plugin plugin = find(id).orElseThrow(() -> new PluginException("unknown technique '" + id + "'"));
    try {
      Injector child = root.createChildInjector(plugin.provider().module());
      return (Technique<Record>) child.getInstance(plugin.provider().technique());
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new PluginException("technique '" + id + "' from " + plugin.source() + " could not be created: "
          + cause, e);
    }
  }
}

package org.netvis.engine.download;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where netvis looks for a kind of file (models, datasets), in order: each directory of an
 * environment variable (or its system property), {@code ./FOLDER}, the installation's
 * {@code FOLDER/}, then the per-user cache, where downloads go. Within a directory a file may sit
 * at the top level or in a sub-directory named after its id.
 *
 * @param directories the directories in search order, the cache last
 * @param cache where downloads are written
 */
public record SearchPath(List<Path> directories, Path cache) {
  public SearchPath {
    directories = List.copyOf(directories);
  }

  public static SearchPath fromEnvironment(String property, String environmentVariable, String folder) {
    Set<Path> dirs = new LinkedHashSet<>();
    String env = System.getProperty(property, System.getenv(environmentVariable));
    if (env != null) {
      for (String part : env.split(java.io.File.pathSeparator)) {
        if (!part.isBlank()) {
          dirs.add(Path.of(part).toAbsolutePath().normalize());
        }
      }
    }
    dirs.add(Path.of(folder).toAbsolutePath().normalize());
    String home = System.getProperty("netvis.home");
    if (home != null) {
      dirs.add(Path.of(home, folder).toAbsolutePath().normalize());
    }
    Path cache = userCacheDir().resolve(folder);
    dirs.add(cache);
    return new SearchPath(new ArrayList<>(dirs), cache);
  }

  /**
   * The {@code netvis.cache} system property, else {@code $NETVIS_CACHE}, else
   * {@code $XDG_CACHE_HOME/netvis}, else {@code ~/.cache/netvis}.
   */
  public static Path userCacheDir() {
    String explicit = System.getProperty("netvis.cache", System.getenv("NETVIS_CACHE"));
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("netvis");
  }

  /** Every place a file of this id may be, in order. */
  public List<Path> candidates(String id, String fileName) {
    List<Path> out = new ArrayList<>();
    for (Path dir : directories) {
      out.add(dir.resolve(fileName));
      out.add(dir.resolve(id).resolve(fileName));
    }
    return out;
  }

  public Optional<Path> locate(String id, String fileName) {
    return candidates(id, fileName).stream().filter(Files::isRegularFile).findFirst();
  }

  /** Where a download of this id's file goes. */
  public Path downloadTarget(String id, String fileName) {
    return cache.resolve(id).resolve(fileName);
  }
}

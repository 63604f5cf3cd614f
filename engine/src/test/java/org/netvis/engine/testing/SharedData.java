package org.netvis.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared (models, images, PyTorch reference arrays) beside the repository. */
public final class SharedData {
  private SharedData() {}

  public static Path root() {
    String explicit = System.getenv("NETVIS_SHARED");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String repo = System.getProperty("netvis.repo.root", System.getProperty("user.dir"));
    Path dir = Path.of(repo).toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      Path candidate = p.resolveSibling("shared");
      if (Files.isDirectory(candidate.resolve("models"))) {
        return candidate;
      }
    }
    throw new IllegalStateException("../shared not found beside " + dir + "; set NETVIS_SHARED");
  }

  public static Path models() {
    return root().resolve("models");
  }

  public static Path squeezenet() {
    return models().resolve("squeezenet1_1/squeezenet1_1.onnx");
  }

  public static Path reference() {
    return root().resolve("reference/squeezenet1_1");
  }

  public static Path fixture(String name) {
    return models().resolve("fixtures").resolve(name + ".onnx");
  }

  public static Path fixtureRef(String name) {
    return models().resolve("fixtures").resolve(name + ".ref");
  }
}

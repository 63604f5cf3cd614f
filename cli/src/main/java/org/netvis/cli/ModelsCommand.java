package org.netvis.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.FileDigests;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.runtime.CompanionGraphs;
import org.netvis.engine.runtime.EngineOptions;
import picocli.CommandLine.Command;

/** Lists the known models and where they resolve. */
@Command(name = "models", mixinStandardHelpOptions = true,
    description = "List every known model, where it resolves, its sha256 and whether its gradient graph is current.")
final class ModelsCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    ModelRegistry registry = ModelRegistry.fromEnvironment(false);
    System.out.println("search path: " + registry.searchPath());
    if (registry.descriptors().isEmpty()) {
      System.out.println("no model descriptors found");
    }
    CompanionGraphs companions = new CompanionGraphs(EngineOptions.defaults().companionCache());
    for (ModelDescriptor d : registry.descriptors().values()) {
      System.out.printf("%n%s  %s%n", d.id(), d.description() == null ? "" : d.description());
      Optional<Path> file = registry.locate(d);
      if (file.isEmpty()) {
        System.out.printf("  file      %s: not found%s%n", d.file(),
            d.obtain() != null && d.obtain().download() != null ? " (download: " + d.obtain().download() + ")" : "");
        continue;
      }
      String sha = FileDigests.standard().sha256(file.get());
      boolean known = d.sha256().isEmpty() || d.sha256().contains(sha);
      System.out.printf("  file      %s%n  sha256    %s (%s)%n", file.get(), sha, known ? "known" : "UNKNOWN to the descriptor");
      int size = d.preprocessing().crop();
      String name = CompanionGraphs.fileName(file.get(), VjpSpec.DEFAULT, size, size, true);
      String state = "not derived yet";
      for (Path p : companions.locations(file.get(), sha, name)) {
        if (Files.isRegularFile(p)) {
          String why = CompanionGraphs.staleReason(p, sha, VjpSpec.DEFAULT, size, size);
          state = why == null ? "current: " + p : "stale (" + why + "): " + p;
          break;
        }
      }
      System.out.printf("  gradient  %s%n", state);
    }
    return 0;
  }
}

package org.netvis.engine.run;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** netvis' version and the git commit of the checkout it runs from, for provenance. */
public final class BuildInfo {
  private BuildInfo() {}

  public static String version() {
    try (InputStream in = BuildInfo.class.getResourceAsStream("/org/netvis/engine/version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** The commit HEAD points at in the checkout holding netvis (netvis.home or the working directory), or "unknown". */
  public static String gitCommit() {
    String home = System.getProperty("netvis.home", System.getProperty("user.dir"));
    for (Path dir = Path.of(home).toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path git = dir.resolve(".git");
      if (Files.isDirectory(git)) {
        return readHead(git);
      }
    }
    return "unknown";
  }

  private static String readHead(Path git) {
    try {
      String head = Files.readString(git.resolve("HEAD")).trim();
      if (!head.startsWith("ref: ")) {
        return head;
      }
      String ref = head.substring(5);
      Path loose = git.resolve(ref);
      if (Files.isRegularFile(loose)) {
        return Files.readString(loose).trim();
      }
      Path packed = git.resolve("packed-refs");
      if (Files.isRegularFile(packed)) {
        for (String line : Files.readAllLines(packed)) {
          if (line.endsWith(" " + ref)) {
            return line.substring(0, line.indexOf(' '));
          }
        }
      }
      return "unknown (no commit yet on " + ref + ")";
    } catch (IOException e) {
      return "unknown";
    }
  }
}

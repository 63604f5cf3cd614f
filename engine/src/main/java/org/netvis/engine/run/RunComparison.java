package org.netvis.engine.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Compares the .npy arrays of two run directories byte for byte. */
public record RunComparison(List<String> identical, List<String> different, List<String> missing) {

  public boolean allIdentical() {
    return different.isEmpty() && missing.isEmpty() && !identical.isEmpty();
  }

  public static RunComparison of(Path original, Path rerun) throws IOException {
    List<String> identical = new ArrayList<>();
    List<String> different = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String rel : arrays(original)) {
      Path other = rerun.resolve(rel);
      if (!Files.isRegularFile(other)) {
        missing.add(rel);
      } else if (Arrays.equals(Files.readAllBytes(original.resolve(rel)), Files.readAllBytes(other))) {
        identical.add(rel);
      } else {
        different.add(rel);
      }
    }
    for (String rel : arrays(rerun)) {
      if (!Files.isRegularFile(original.resolve(rel))) {
        missing.add(rel + " (only in the rerun)");
      }
    }
    return new RunComparison(identical, different, missing);
  }

  private static List<String> arrays(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.toString().endsWith(".npy")).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }
}

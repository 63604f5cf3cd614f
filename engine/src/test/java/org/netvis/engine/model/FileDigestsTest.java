package org.netvis.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Digests remembered while a file's status is unchanged, and only then. */
class FileDigestsTest {
  @TempDir Path dir;

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private List<Path> entries() throws Exception {
    try (Stream<Path> s = Files.list(dir.resolve("digests"))) {
      return s.toList();
    }
  }

  @Test
  void rememberedWhileUnchangedAndHashedAgainOnceWritten() throws Exception {
    Path file = Files.write(dir.resolve("model.onnx"), "first weights".getBytes(StandardCharsets.UTF_8));
    FileDigests digests = new FileDigests(dir.resolve("digests"), Duration.ZERO);
    assertEquals(sha256(Files.readAllBytes(file)), digests.sha256(file));
    assertEquals(1, entries().size());

    // The entry is what answers now: one made to say another digest is believed.
    Path entry = entries().get(0);
    List<String> lines = Files.readAllLines(entry);
    String other = sha256(new byte[] {1});
    Files.write(entry, List.of(lines.get(0), lines.get(1), other));
    assertEquals(other, digests.sha256(file));

    // Written again, same size: its change time moved, so it is hashed again.
    Thread.sleep(50); // past the kernel's timestamp tick
    Files.write(file, "other weights".getBytes(StandardCharsets.UTF_8));
    assertEquals(sha256("other weights".getBytes(StandardCharsets.UTF_8)), digests.sha256(file));
  }

  @Test
  void bytesAtHandAreHashedOnlyForAStatusNotSeenBefore() throws Exception {
    byte[] bytes = "a graph read earlier".getBytes(StandardCharsets.UTF_8);
    Path file = Files.write(dir.resolve("m.vjp.onnx"), bytes);
    FileDigests digests = new FileDigests(dir.resolve("digests"), Duration.ZERO);
    FileDigests.Status status = FileDigests.Status.of(file);
    String expected = sha256(bytes);
    int[] hashed = {0};
    FileDigests.Content content = () -> {
      hashed[0]++;
      return expected;
    };
    assertEquals(expected, digests.sha256(file, status, content));
    assertEquals(expected, digests.sha256(file, status, content));
    assertEquals(1, hashed[0], "the second time, the remembered digest");
    assertEquals(expected, digests.sha256(file, null, content));
    assertEquals(2, hashed[0], "bytes read while the file's status was unknown are hashed");
  }

  @Test
  void aFileChangedJustBeforeItWasHashedIsNotRemembered() throws Exception {
    Path file = Files.write(dir.resolve("photo.png"), new byte[] {1, 2, 3});
    FileDigests digests = new FileDigests(dir.resolve("digests"));
    assertEquals(sha256(new byte[] {1, 2, 3}), digests.sha256(file));
    assertFalse(Files.exists(dir.resolve("digests")), "a file written within the settling time is not remembered");
  }

  @Test
  void withoutADirectoryEveryFileIsHashed() throws Exception {
    Path file = Files.write(dir.resolve("a.npz"), new byte[] {4, 5});
    assertEquals(sha256(new byte[] {4, 5}), new FileDigests(null, Duration.ZERO).sha256(file));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(file), s.toList());
    }
  }
}

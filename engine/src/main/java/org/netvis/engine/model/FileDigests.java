package org.netvis.engine.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.netvis.engine.download.SearchPath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHA-256 of files (models, data sets, photos, companion graphs), remembered from one run to the
 * next while the file's status says it is unchanged: its size, modification time, change time and
 * inode, as Bazel and git trust them. Hashing SqueezeNet's 5 MB took 110 to 190 ms of a 1.4 s start on a cold JVM
 * (README). The change time cannot be set back by a program, so a file written again never matches
 * its old entry; and an entry is only kept for a file last changed at least {@link #SETTLED} before
 * it was hashed, so that a file written again within the same tick of a coarse clock is never taken
 * for the one hashed (git's "racily clean" files). Where the file system has no such status (not
 * Unix), every file is hashed every time; so too with {@code NETVIS_DIGEST_CACHE=0}.
 */
public final class FileDigests {
  private static final Logger LOG = LoggerFactory.getLogger(FileDigests.class);
  /** How long before hashing a file must have last changed for its digest to be kept. */
  static final Duration SETTLED = Duration.ofSeconds(2);
  private static final String STATUS = "unix:size,lastModifiedTime,ctime,ino";
  private static volatile FileDigests standard;

  private final Path dir;
  private final Duration settled;

  /** Remembers digests in {@code dir}; null remembers none. */
  public FileDigests(Path dir) {
    this(dir, SETTLED);
  }

  /** With another settling time (tests: files written a moment before). */
  FileDigests(Path dir, Duration settled) {
    this.dir = dir;
    this.settled = settled;
  }

  /** The per-user cache's digests ({@code digests/} in it), or none with NETVIS_DIGEST_CACHE=0. */
  public static FileDigests standard() {
    if (standard == null) {
      standard = new FileDigests("0".equals(System.getenv("NETVIS_DIGEST_CACHE")) ? null
          : SearchPath.userCacheDir().resolve("digests"));
    }
    return standard;
  }

  /**
   * A file's status: size, modification and change times (nanoseconds) and inode. {@link #of}
   * gives null where the file system does not tell them.
   */
  public record Status(long size, long modified, long changed, Object inode) {
    public static Status of(Path file) throws IOException {
      try {
        Map<String, Object> a = Files.readAttributes(file, STATUS);
        return new Status((Long) a.get("size"), nanos(a.get("lastModifiedTime")), nanos(a.get("ctime")), a.get("ino"));
      } catch (UnsupportedOperationException | IllegalArgumentException e) {
        return null;
      }
    }

    private static long nanos(Object time) {
      return ((FileTime) time).to(java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    String line() {
      return size + " " + modified + " " + changed + " " + inode;
    }

    // Written out: a record's generated equals and hashCode link an invokedynamic bootstrap the first
    // time they run (20-40 ms on a cold JVM), and every run compares a companion graph's status before
    // its first step (bench/README.md, twenty-fourth session).
    @Override
    public boolean equals(Object o) {
      return o instanceof Status s && size == s.size && modified == s.modified && changed == s.changed
          && Objects.equals(inode, s.inode);
    }

    @Override
    public int hashCode() {
      return Objects.hash(size, modified, changed, inode);
    }
  }

  /**
   * The file's SHA-256 as lowercase hex: remembered while the file is unchanged, otherwise computed.
   * A file written while it is read leaves an entry for the status it had before, which it never
   * has again.
   */
  public String sha256(Path file) throws IOException {
    Path absolute = file.toAbsolutePath().normalize();
    return sha256(absolute, Status.of(absolute), () -> Sha256.of(absolute));
  }

  /** What computes a digest from bytes already at hand. */
  public interface Content {
    String sha256() throws IOException;
  }

  /**
   * The SHA-256 of bytes read from {@code file} while it had {@code status} (null: unknown, then
   * {@code content} is always hashed and nothing remembered): a companion graph read once for two uses.
   */
  public String sha256(Path file, Status status, Content content) throws IOException {
    Path absolute = file.toAbsolutePath().normalize();
    Path entry = status == null || dir == null ? null : entry(absolute);
    String remembered = entry == null ? null : remembered(entry, absolute, status.line());
    if (remembered != null) {
      return remembered;
    }
    Instant hashed = Instant.now();
    String sha = content.sha256();
    if (entry != null && !Instant.ofEpochSecond(0, status.changed()).plus(settled).isAfter(hashed)) {
      remember(entry, absolute, status.line(), sha);
    }
    return sha;
  }

  private Path entry(Path absolute) {
    return dir.resolve(Sha256.of(absolute.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 32));
  }

  /** The entry's digest when it was written for this file in this status; otherwise null. */
  private static String remembered(Path entry, Path file, String status) {
    try {
      List<String> lines = Files.readAllLines(entry, StandardCharsets.UTF_8);
      if (lines.size() == 3 && lines.get(0).equals(file.toString()) && lines.get(1).equals(status)
          && lines.get(2).matches("[0-9a-f]{64}")) {
        return lines.get(2);
      }
    } catch (IOException e) {
      // No entry yet (or an unreadable one): hash the file.
    }
    return null;
  }

  private void remember(Path entry, Path file, String status, String sha) {
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".digest-", ".tmp");
      try {
        Files.writeString(tmp, file + "\n" + status + "\n" + sha + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, entry, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("cannot remember the digest of {} in {}: {}", file, dir, e.toString());
    }
  }
}

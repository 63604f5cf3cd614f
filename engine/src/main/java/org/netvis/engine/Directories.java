package org.netvis.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;

/** Whether netvis may write into a directory. */
public final class Directories {
  private Directories() {}

  /**
   * Honours the directory's write bits even for root, who could write anyway: a directory shipped
   * read-only (a shared data set, say) must stay untouched.
   */
  public static boolean writable(Path dir) {
    try {
      return Files.isWritable(dir) && Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OWNER_WRITE);
    } catch (UnsupportedOperationException | IOException e) {
      return Files.isWritable(dir);
    }
  }
}

package org.netvis.engine.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * PNG files a step writes together: encoding is CPU-bound and the files are independent, so
 * {@link #write} encodes them on every core. A step that writes a few dozen images spends most of
 * its own (non-ONNX Runtime) time here.
 */
public final class PngBatch {
  private interface Job {
    void write() throws IOException;
  }

  private final List<Job> jobs = new ArrayList<>();

  public PngBatch add(Path file, RgbImage image) {
    jobs.add(() -> PngImages.write(file, image));
    return this;
  }

  public PngBatch add(Path file, Figure figure) {
    jobs.add(() -> figure.write(file));
    return this;
  }

  /** Writes every file added, in parallel; a failure is thrown as the IOException it was. */
  public void write() throws IOException {
    try {
      jobs.parallelStream().forEach(job -> {
        try {
          job.write();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}

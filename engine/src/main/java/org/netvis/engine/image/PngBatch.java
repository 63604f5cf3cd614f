package org.netvis.engine.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * PNG files a step writes together: encoding is CPU-bound and the files are independent, so
 * {@link #write} encodes them on every core. A step that writes a few dozen images spends most of
 * its own (non-ONNX Runtime) time here.
 */
public final class PngBatch {
  private interface Encoding {
    void write() throws IOException;
  }

  private record Job(long pixels, Encoding encoding) {}

  private final List<Job> jobs = new ArrayList<>();

  public PngBatch add(Path file, RgbImage image) {
    jobs.add(new Job((long) image.width() * image.height(), () -> PngImages.write(file, image)));
    return this;
  }

  public PngBatch add(Path file, Figure figure) {
    jobs.add(new Job(figure.pixels(), () -> figure.write(file)));
    return this;
  }

  /**
   * Starts {@link #write} on a thread of its own and returns at once, so that a step can run ONNX
   * Runtime meanwhile (its last forward passes need no files; PNG encoding and ONNX Runtime's
   * one-thread kernels leave each other a core). Closing the returned handle waits for the files and
   * throws the IOException a write failed with; a step that fails before that still waits, so that
   * no file is written into a directory the runner is removing.
   */
  public Writing start() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        write();
        done.complete(null);
      } catch (IOException | RuntimeException | Error e) {
        done.completeExceptionally(e);
      }
    }, "netvis-png-batch");
    t.setDaemon(true);
    t.start();
    return new Writing(done);
  }

  /** Files being written on another thread; {@link #close} waits for them. */
  public static final class Writing implements AutoCloseable {
    private final CompletableFuture<?> done;

    private Writing(CompletableFuture<?> done) {
      this.done = done;
    }

    /** Output work running elsewhere (an executor's task), closed like a started batch. */
    public static Writing of(CompletableFuture<?> done) {
      return new Writing(done);
    }

    /**
     * Waits for every one of them, whatever a failure's type, then throws the first failure (the
     * others suppressed in it).
     */
    public static void closeAll(List<Writing> writings) throws IOException {
      Throwable first = null;
      for (Writing w : writings) {
        try {
          w.close();
        } catch (IOException | RuntimeException | Error e) {
          if (first == null) {
            first = e;
          } else {
            first.addSuppressed(e);
          }
        }
      }
      if (first != null) {
        throw thrown(first);
      }
    }

    @Override
    public void close() throws IOException {
      await(done);
    }

    /**
     * The work's result, once done; a failure is thrown as what it was (an IOException also when the
     * work had to wrap it in an UncheckedIOException).
     */
    public static <T> T await(CompletableFuture<T> work) throws IOException {
      try {
        return work.join();
      } catch (CompletionException e) {
        Throwable cause = e.getCause() instanceof UncheckedIOException io ? io.getCause() : e.getCause();
        throw thrown(cause == null ? e : cause);
      }
    }

    /** A failure as the caller throws it: an IOException or Error thrown here, anything else returned unchecked. */
    private static RuntimeException thrown(Throwable t) throws IOException {
      if (t instanceof IOException io) {
        throw io;
      }
      if (t instanceof Error err) {
        throw err;
      }
      return t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
  }

  /**
   * Writes every file added, largest first, each thread taking the next file when it finishes one.
   * A step's figure is often as much work as all its other files together; split into fixed shares
   * (as a parallel stream splits a list) it would run after part of them on the same thread.
   * A failure is thrown as the IOException it was.
   */
  public void write() throws IOException {
    List<Job> order = jobs.stream().sorted(Comparator.comparingLong(Job::pixels).reversed()).toList();
    AtomicInteger next = new AtomicInteger();
    int threads = Math.min(order.size(), Runtime.getRuntime().availableProcessors());
    try {
      IntStream.range(0, threads).parallel().forEach(thread -> {
        for (int i = next.getAndIncrement(); i < order.size(); i = next.getAndIncrement()) {
          try {
            order.get(i).encoding().write();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}

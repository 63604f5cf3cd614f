package org.netvis.plugins.fooling;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.netvis.engine.image.PngBatch;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;

/**
 * Each image's pictures and PNG files, made on a thread of their own as soon as its loop ends, while
 * ONNX Runtime goes on with the images still running (in the assignment's setting most images are
 * fooled within ten steps and one or two take three times as many); then the step's array. Closing
 * waits for every file, also when the step failed, so that nothing is written into a directory the
 * runner removes.
 */
final class ImageOutputs implements AutoCloseable {
  private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "netvis-fooling-files");
    t.setDaemon(true);
    return t;
  });
  private final List<CompletableFuture<Fooling.Panels>> pictures = new ArrayList<>();
  private final List<PngBatch.Writing> files = new ArrayList<>();

  /**
   * Draws an image's pictures, then writes its files, in one task on this object's thread (a task
   * chained to the drawing could be submitted after {@link #close} shut the thread down).
   */
  void start(Supplier<Fooling.Panels> draw, Path dir) {
    CompletableFuture<Fooling.Panels> drawn = new CompletableFuture<>();
    pictures.add(drawn);
    files.add(PngBatch.Writing.of(CompletableFuture.runAsync(() -> {
      Fooling.Panels q;
      try {
        q = draw.get();
      } catch (RuntimeException | Error e) {
        drawn.completeExceptionally(e);
        throw e;
      }
      drawn.complete(q);
      PngBatch batch = new PngBatch();
      for (int k = 0; k < q.files().size(); k++) {
        batch.add(dir.resolve(q.files().get(k)), q.images().get(k));
      }
      try {
        batch.write();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, thread)));
  }

  /** Writes an array on the same thread, after the images started before it. */
  void write(Path file, Tensor array) {
    files.add(PngBatch.Writing.of(CompletableFuture.runAsync(() -> {
      try {
        Npy.write(file, array);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, thread)));
  }

  /** Every image's pictures, in the order started, once drawn (their files may still be being written). */
  List<Fooling.Panels> pictures() throws IOException {
    List<Fooling.Panels> out = new ArrayList<>();
    for (CompletableFuture<Fooling.Panels> p : pictures) {
      out.add(PngBatch.Writing.await(p));
    }
    return out;
  }

  /** Waits for every task, then throws the first failure (the others suppressed in it). */
  @Override
  public void close() throws IOException {
    try {
      PngBatch.Writing.closeAll(files);
    } finally {
      thread.shutdown();
    }
  }
}

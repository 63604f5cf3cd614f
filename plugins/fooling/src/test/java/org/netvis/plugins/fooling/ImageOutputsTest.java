package org.netvis.plugins.fooling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.image.RgbImage;

class ImageOutputsTest {
  @TempDir Path dir;

  private static Fooling.Panels panels(int index, int value) {
    RgbImage image = new RgbImage(2, 2, java.util.Collections.nCopies(12, value).stream().mapToInt(v -> v).toArray(), null);
    return new Fooling.Panels(index, image, image, image, image,
        List.of(index + "_fooling.png", index + "_difference.png", index + "_difference_x10.png"), new double[] {0, 0});
  }

  @Test
  void drawsAndWritesEachImageOnItsOwnThreadAndWaitsForAllOnClose() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Fooling.Panels> pictures;
    try (ImageOutputs outputs = new ImageOutputs()) {
      outputs.start(() -> {
        try {
          release.await(); // held until the caller has gone on: the drawing is not on its thread
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        return panels(3, 30);
      }, dir);
      outputs.start(() -> panels(1, 10), dir);
      outputs.write(dir.resolve("a.npy"), new org.netvis.engine.tensor.Tensor(new long[] {2}, new float[] {1f, 2f}));
      assertFalse(Files.exists(dir.resolve("3_fooling.png")));
      release.countDown();
      pictures = outputs.pictures();
    }
    assertEquals(2f, org.netvis.engine.tensor.Npy.readTensor(dir.resolve("a.npy")).data()[1]);
    assertEquals(List.of(3, 1), pictures.stream().map(Fooling.Panels::index).toList(), "in the order started");
    for (int index : new int[] {1, 3}) {
      for (String name : List.of("_fooling.png", "_difference.png", "_difference_x10.png")) {
        assertEquals(index * 10, ImageIO.read(dir.resolve(index + name).toFile()).getRGB(1, 1) & 0xFF, index + name);
      }
    }
  }

  @Test
  void everyFileIsThereOnceClosedWhetherThePicturesWereAwaitedOrNot() throws Exception {
    // Many rounds: a file task submitted only once its pictures were drawn could be refused by a
    // thread that close() had already shut down.
    for (int round = 0; round < 200; round++) {
      Path out = Files.createDirectories(dir.resolve("round" + round));
      try (ImageOutputs outputs = new ImageOutputs()) {
        for (int i = 0; i < 3; i++) {
          int index = i;
          outputs.start(() -> panels(index, 5 * index), out);
        }
        if (round % 2 == 0) {
          assertEquals(3, outputs.pictures().size());
        } // else closed at once, as when the loop fails, with pictures still being drawn
      }
      for (int i = 0; i < 3; i++) {
        assertTrue(Files.exists(out.resolve(i + "_difference_x10.png")), "round " + round + ", image " + i);
      }
    }
  }

  @Test
  void aFailedWriteIsThrownOnCloseAfterTheOtherFilesAreWritten() throws Exception {
    Files.writeString(dir.resolve("file"), "x");
    ImageOutputs outputs = new ImageOutputs();
    outputs.start(() -> panels(0, 0), dir.resolve("file")); // a file where the directory should be
    outputs.start(() -> panels(1, 10), dir);
    assertThrows(IOException.class, outputs::close);
    assertTrue(Files.exists(dir.resolve("1_difference_x10.png")), "the next image's files were still written");
  }
}

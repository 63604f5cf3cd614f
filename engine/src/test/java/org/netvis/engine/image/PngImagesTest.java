package org.netvis.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngImagesTest {
  @TempDir
  Path dir;

  /** Every pixel as ImageIO decodes it, packed 0xRRGGBB. */
  private static int[] decoded(Path file) throws Exception {
    BufferedImage b = ImageIO.read(file.toFile());
    return b.getRGB(0, 0, b.getWidth(), b.getHeight(), null, 0, b.getWidth());
  }

  @Test
  void rgbImagesAndJava2dImagesRoundTripExactly() throws Exception {
    int w = 37;
    int h = 23;
    Random r = new Random(3);
    int[] rgb = new int[w * h * 3];
    int[] packed = new int[w * h];
    for (int i = 0; i < w * h; i++) {
      for (int c = 0; c < 3; c++) {
        rgb[3 * i + c] = r.nextInt(256);
      }
      packed[i] = rgb[3 * i] << 16 | rgb[3 * i + 1] << 8 | rgb[3 * i + 2];
    }
    // 0 and 255 in every channel: the byte conversion must not sign-extend.
    rgb[0] = rgb[1] = rgb[2] = 255;
    packed[0] = 0xFFFFFF;
    rgb[3] = rgb[4] = rgb[5] = 0;
    packed[1] = 0;
    RgbImage image = new RgbImage(w, h, rgb, null);
    PngImages.write(dir.resolve("a.png"), image);
    int[] a = decoded(dir.resolve("a.png"));
    for (int i = 0; i < a.length; i++) {
      assertEquals(packed[i], a[i] & 0xFFFFFF, "pixel " + i);
    }
    BufferedImage java2d = PngImages.toBufferedImage(image);
    assertArrayEquals(packed, java.util.Arrays.stream(java2d.getRGB(0, 0, w, h, null, 0, w)).map(v -> v & 0xFFFFFF).toArray());
    PngImages.write(dir.resolve("b.png"), java2d);
    assertArrayEquals(a, decoded(dir.resolve("b.png")));
    // Written again over an existing file.
    PngImages.write(dir.resolve("b.png"), new RgbImage(1, 1, new int[] {1, 2, 3}, null));
    assertEquals(0x010203, decoded(dir.resolve("b.png"))[0] & 0xFFFFFF);
  }

  @Test
  void aFigureSizedImageDeflatedInSegmentsOnEveryCoreRoundTripsExactly() throws Exception {
    // Above PngImages' threshold: its deflate stream is written in segments by several threads.
    int w = 700;
    int h = 530;
    Random r = new Random(5);
    int[] rgb = new int[w * h * 3];
    for (int i = 0; i < rgb.length; i++) {
      // Runs of equal bytes among noise, so that deflate finds matches across segment borders.
      rgb[i] = i % 997 < 500 ? 17 : r.nextInt(256);
    }
    PngImages.write(dir.resolve("big.png"), new RgbImage(w, h, rgb, null));
    int[] back = decoded(dir.resolve("big.png"));
    assertEquals(w * h, back.length);
    for (int i = 0; i < back.length; i++) {
      assertEquals(rgb[3 * i] << 16 | rgb[3 * i + 1] << 8 | rgb[3 * i + 2], back[i] & 0xFFFFFF, "pixel " + i);
    }
  }

  @Test
  void aBatchWritesEveryFileAndReportsAFailureAsAnIoException() throws Exception {
    PngBatch batch = new PngBatch();
    for (int i = 0; i < 12; i++) {
      batch.add(dir.resolve("f" + i + ".png"), new RgbImage(1, 1, new int[] {i, 2 * i, 3 * i}, null));
    }
    batch.add(dir.resolve("figure.png"), new Figure("title").panel(new RgbImage(2, 2, new int[12], null), "p"));
    batch.write();
    for (int i = 0; i < 12; i++) {
      assertEquals(i << 16 | 2 * i << 8 | 3 * i, decoded(dir.resolve("f" + i + ".png"))[0] & 0xFFFFFF);
    }
    assertTrue(ImageIO.read(dir.resolve("figure.png").toFile()).getWidth() > 2);
    // The batch orders its files by size, the figure's taken without rendering it.
    Figure figure = new Figure("heading").panel(new RgbImage(3, 5, new int[45], null), "a").panel(
        new RgbImage(4, 2, new int[24], null), "b").row().panel(new RgbImage(1, 1, new int[3], null), null);
    for (Figure f : java.util.List.of(figure, new Figure(null))) {
      java.awt.image.BufferedImage rendered = f.render();
      assertEquals((long) rendered.getWidth() * rendered.getHeight(), f.pixels());
    }
    java.nio.file.Files.writeString(dir.resolve("not-a-dir"), "x");
    PngBatch failing = new PngBatch().add(dir.resolve("not-a-dir/a.png"), new RgbImage(1, 1, new int[3], null));
    assertThrows(java.io.IOException.class, failing::write);
  }

  @Test
  void aStartedBatchHasWrittenEveryFileWhenClosedAndThrowsAFailureThere() throws Exception {
    PngBatch batch = new PngBatch();
    for (int i = 0; i < 6; i++) {
      batch.add(dir.resolve("s" + i + ".png"), new RgbImage(64, 64, filled(64 * 64, i), null));
    }
    batch.start().close();
    for (int i = 0; i < 6; i++) {
      assertEquals(i << 16 | 2 * i << 8 | 3 * i, decoded(dir.resolve("s" + i + ".png"))[64 * 64 - 1] & 0xFFFFFF);
    }
    java.nio.file.Files.writeString(dir.resolve("a-file"), "x");
    PngBatch failing = new PngBatch().add(dir.resolve("a-file/a.png"), new RgbImage(1, 1, new int[3], null));
    PngBatch.Writing writing = failing.start();
    assertThrows(java.io.IOException.class, writing::close);
    // closeAll waits for every batch, the failing one first, and throws its failure.
    PngBatch after = new PngBatch().add(dir.resolve("after.png"), new RgbImage(64, 64, filled(64 * 64, 7), null));
    java.util.List<PngBatch.Writing> both = java.util.List.of(failing.start(), after.start());
    assertThrows(java.io.IOException.class, () -> PngBatch.Writing.closeAll(both));
    assertEquals(7 << 16 | 14 << 8 | 21, decoded(dir.resolve("after.png"))[0] & 0xFFFFFF);
  }

  private static int[] filled(int pixels, int i) {
    int[] rgb = new int[pixels * 3];
    for (int p = 0; p < pixels; p++) {
      rgb[3 * p] = i;
      rgb[3 * p + 1] = 2 * i;
      rgb[3 * p + 2] = 3 * i;
    }
    return rgb;
  }
}

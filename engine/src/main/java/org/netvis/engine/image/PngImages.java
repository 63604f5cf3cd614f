package org.netvis.engine.image;

import com.pngencoder.PngEncoder;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Encodes PNG files, with pngencoder: deflate level 2, rows unfiltered (what the JDK writer does at
 * its quality 0.75, to files of the same size, about 35% faster); a large image's deflate is split
 * over every core.
 */
public final class PngImages {
  private static final int COMPRESSION_LEVEL = 2;
  /**
   * From this size on (a figure) an image's deflate runs in segments on every core. Below it the
   * split costs more than it saves, and {@link PngBatch} already encodes such files side by side.
   */
  private static final long PARALLEL_DEFLATE_PIXELS = 512 * 512;

  private PngImages() {}

  /** An image for Java2D drawing (figures); its pixels are written straight into the raster's array. */
  public static BufferedImage toBufferedImage(RgbImage image) {
    BufferedImage b = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
    int[] argb = ((DataBufferInt) b.getRaster().getDataBuffer()).getData();
    int[] rgb = image.rgb();
    for (int i = 0; i < argb.length; i++) {
      argb[i] = rgb[3 * i] << 16 | rgb[3 * i + 1] << 8 | rgb[3 * i + 2];
    }
    return b;
  }

  public static void write(Path file, RgbImage image) throws IOException {
    write(file, toBufferedImage(image));
  }

  /** Encoded in memory, then written with one call (replacing the file if there is one). */
  public static void write(Path file, BufferedImage image) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    byte[] png = encode(image);
    Files.deleteIfExists(file);
    Files.write(file, png);
  }

  /** The PNG file's bytes. */
  public static byte[] encode(BufferedImage image) {
    return new PngEncoder()
        .withBufferedImage(image)
        .withCompressionLevel(COMPRESSION_LEVEL)
        .withPredictorEncoding(false)
        .withMultiThreadedCompressionEnabled((long) image.getWidth() * image.getHeight() >= PARALLEL_DEFLATE_PIXELS)
        .toBytes();
  }
}

package org.netvis.engine.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Writes PNG files. */
public final class PngImages {
  private PngImages() {}

  public static BufferedImage toBufferedImage(RgbImage image) {
    BufferedImage b = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
    int[] argb = new int[image.width() * image.height()];
    for (int i = 0; i < argb.length; i++) {
      argb[i] = image.rgb()[3 * i] << 16 | image.rgb()[3 * i + 1] << 8 | image.rgb()[3 * i + 2];
    }
    b.setRGB(0, 0, image.width(), image.height(), argb, 0, image.width());
    return b;
  }

  public static void write(Path file, RgbImage image) throws IOException {
    write(file, toBufferedImage(image));
  }

  /**
   * Lossless as every PNG; the deflate setting is the JDK writer's quality 0.75 rather than its
   * default, which on netvis' figures writes about 25% faster and a little smaller (measured on a
   * 896x1100 figure: 59 against 78 ms).
   */
  public static void write(Path file, BufferedImage image) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    java.util.Iterator<javax.imageio.ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
    if (!writers.hasNext()) {
      throw new IOException(file + ": no PNG writer available");
    }
    javax.imageio.ImageWriter writer = writers.next();
    Files.deleteIfExists(file);
    try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
      writer.setOutput(out);
      javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(0.75f);
      writer.write(null, new javax.imageio.IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
  }
}

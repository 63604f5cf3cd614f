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

  public static void write(Path file, BufferedImage image) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException(file + ": no PNG writer available");
    }
  }
}

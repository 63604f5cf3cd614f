package org.netvis.engine.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.nio.file.Path;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.image.ColorMap;
import org.netvis.engine.image.ImageFiles;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.image.RgbImage;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.tensor.Tensor;

/** Grayscale, 16-bit, alpha and CMYK files become RGB with a note; NaN never reaches a PNG. */
class ImageConversionTest {
  @TempDir Path dir;

  @Test
  void grayscaleIsReplicatedWithoutAGammaChange() throws Exception {
    BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(0, 0, 0, 100);
    gray.getRaster().setSample(1, 0, 0, 200);
    ImageIO.write(gray, "png", dir.resolve("g.png").toFile());
    RgbImage rgb = ImageFiles.read(dir.resolve("g.png"));
    assertArrayEquals(new int[] {100, 100, 100, 200, 200, 200}, rgb.rgb());
    assertEquals("grayscale replicated to RGB", rgb.note());
  }

  @Test
  void sixteenBitSamplesKeepTheirHighByte() throws Exception {
    BufferedImage g16 = new BufferedImage(1, 1, BufferedImage.TYPE_USHORT_GRAY);
    g16.getRaster().setSample(0, 0, 0, 0xABCD);
    ImageIO.write(g16, "png", dir.resolve("g16.png").toFile());
    RgbImage rgb = ImageFiles.read(dir.resolve("g16.png"));
    assertArrayEquals(new int[] {0xAB, 0xAB, 0xAB}, rgb.rgb());
    assertEquals("grayscale replicated to RGB; 16-bit samples reduced to 8 bits", rgb.note());
  }

  @Test
  void alphaIsDropped() throws Exception {
    BufferedImage argb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
    argb.setRGB(0, 0, 0x10204080);
    ImageIO.write(argb, "png", dir.resolve("a.png").toFile());
    RgbImage rgb = ImageFiles.read(dir.resolve("a.png"));
    assertArrayEquals(new int[] {0x20, 0x40, 0x80}, rgb.rgb());
    assertEquals("alpha channel dropped", rgb.note());
  }

  @Test
  void cmykJpegIsConvertedToRgb() throws Exception {
    // A flat 16x16 CMYK JPEG (no Adobe marker): C=0, M=128, Y=255, K=64 should become
    // R = 255 * (255-64)/255 = 191, G = 127 * 191 / 255 = 95, B = 0 (give or take JPEG rounding).
    WritableRaster raster = java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 16, 16, 4, null);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 16; x++) {
        raster.setPixel(x, y, new int[] {0, 128, 255, 64});
      }
    }
    Path file = dir.resolve("cmyk.jpg");
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(raster, null, null), null);
    }
    RgbImage rgb = ImageFiles.read(file);
    assertEquals("CMYK converted to RGB", rgb.note());
    int[] px = {rgb.get(8, 8, 0), rgb.get(8, 8, 1), rgb.get(8, 8, 2)};
    assertTrue(Math.abs(px[0] - 191) <= 3 && Math.abs(px[1] - 95) <= 3 && px[2] <= 3, java.util.Arrays.toString(px));
  }

  @Test
  void nanNeverReachesAPng() {
    Tensor t = new Tensor(new long[] {1, 3, 1, 2}, new float[] {Float.NaN, 0, Float.NaN, 0, Float.POSITIVE_INFINITY, 0});
    RgbImage img = Pixels.toRgb8(Pixels.deprocess(t, 0, Preprocessing.IMAGENET), 2, 1);
    for (int v : img.rgb()) {
      assertTrue(v >= 0 && v <= 255);
    }
    assertEquals(0, img.get(0, 0, 0), "NaN becomes 0");
    RgbImage heat = ColorMap.HOT.apply(new float[] {Float.NaN, 1f, Float.NEGATIVE_INFINITY, 0.5f}, 4, 1);
    assertArrayEquals(ColorMap.HOT.apply(new float[] {0f}, 1, 1).rgb(), java.util.Arrays.copyOfRange(heat.rgb(), 0, 3),
        "NaN is drawn as the lowest colour");
  }
}

package org.netvis.engine.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Reads PNG and JPEG files into 8-bit RGB, refusing oversized images before decoding them. */
public final class ImageFiles {
  /** Default limit on width * height, like Pillow's decompression-bomb guard (about 89 Mpx). */
  public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

  private ImageFiles() {}

  public static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase();
    return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
  }

  public static RgbImage read(Path file) throws IOException {
    return read(file, DEFAULT_MAX_PIXELS);
  }

  public static RgbImage read(Path file, long maxPixels) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no such image file");
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      return decode(in, file.toString(), maxPixels);
    }
  }

  /**
   * An image held in memory (a row of a table of encoded images), decoded exactly as a file is;
   * {@code name} stands for the file in messages.
   */
  public static RgbImage read(byte[] encoded, String name, long maxPixels) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(encoded))) {
      return decode(in, name, maxPixels);
    }
  }

  private static RgbImage decode(ImageInputStream in, String file, long maxPixels) throws IOException {
    Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
    if (in == null || !readers.hasNext()) {
      throw new IOException(file + ": not a PNG or JPEG image");
    }
    ImageReader reader = readers.next();
    // Java's decoders report truncated data as warnings and return what they got; netvis refuses.
    List<String> warnings = new ArrayList<>();
    reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
    try {
      reader.setInput(in, true, true);
      long pixels;
      try {
        pixels = (long) reader.getWidth(0) * reader.getHeight(0);
      } catch (IOException | RuntimeException e) {
        throw new IOException(file + ": cannot read the image header (truncated or damaged?): " + e.getMessage(), e);
      }
      if (pixels > maxPixels) {
        throw new IOException(file + ": " + reader.getWidth(0) + "x" + reader.getHeight(0) + " = " + pixels
            + " pixels exceeds the limit of " + maxPixels + " (raise max_pixels to allow it)");
      }
      RgbImage image;
      try {
        image = reader.getFormatName().equalsIgnoreCase("jpeg") ? jpegYCbCr(reader) : null;
        if (image == null) {
          image = toRgb(reader.read(0));
        }
      } catch (IOException | RuntimeException e) {
        throw new IOException(file + ": cannot decode the image (truncated or damaged?): " + e.getMessage(), e);
      }
      if (!warnings.isEmpty()) {
        throw new IOException(file + ": the image is damaged or truncated (" + String.join("; ", warnings) + ")");
      }
      return image;
    } finally {
      reader.dispose();
    }
  }

  /**
   * A 3-component JPEG decoded as libjpeg (and so Pillow) does: the raw YCbCr samples converted
   * with libjpeg's fixed-point JFIF formula. Java's own conversion would also apply an embedded ICC
   * profile, which Pillow ignores, shifting colours by several levels. Null when the file is not
   * YCbCr (Adobe RGB-transform JPEGs, grayscale, CMYK).
   */
  private static RgbImage jpegYCbCr(ImageReader reader) throws IOException {
    org.w3c.dom.Node tree = reader.getImageMetadata(0).getAsTree("javax_imageio_jpeg_image_1.0");
    if (hasAdobeTransform(tree, 0)) {
      return null;
    }
    Raster raw = reader.readRaster(0, null);
    if (raw.getNumBands() == 4) {
      return cmyk(raw, hasAdobe(tree), hasAdobeTransform(tree, 2));
    }
    if (raw.getNumBands() != 3) {
      return null;
    }
    int w = raw.getWidth();
    int h = raw.getHeight();
    int[] s = raw.getPixels(raw.getMinX(), raw.getMinY(), w, h, (int[]) null);
    int[] out = new int[w * h * 3];
    final int scaleBits = 16;
    final int half = 1 << (scaleBits - 1);
    final int crR = (int) (1.40200 * (1 << scaleBits) + 0.5);
    final int cbB = (int) (1.77200 * (1 << scaleBits) + 0.5);
    final int crG = (int) (0.71414 * (1 << scaleBits) + 0.5);
    final int cbG = (int) (0.34414 * (1 << scaleBits) + 0.5);
    for (int i = 0; i < w * h; i++) {
      int y = s[3 * i];
      int cb = s[3 * i + 1] - 128;
      int cr = s[3 * i + 2] - 128;
      out[3 * i] = clamp(y + ((crR * cr + half) >> scaleBits));
      out[3 * i + 1] = clamp(y + ((-cbG * cb - crG * cr + half) >> scaleBits));
      out[3 * i + 2] = clamp(y + ((cbB * cb + half) >> scaleBits));
    }
    return new RgbImage(w, h, out, null);
  }

  /**
   * A 4-component (CMYK or YCCK) JPEG as Pillow converts it: each channel is
   * (255 - ink) * (255 - black) / 255, where Adobe files store the ink values inverted.
   */
  private static RgbImage cmyk(Raster raw, boolean adobe, boolean ycck) {
    int w = raw.getWidth();
    int h = raw.getHeight();
    int[] s = raw.getPixels(raw.getMinX(), raw.getMinY(), w, h, (int[]) null);
    int[] out = new int[w * h * 3];
    for (int i = 0; i < w * h; i++) {
      int c0 = s[4 * i];
      int c1 = s[4 * i + 1];
      int c2 = s[4 * i + 2];
      if (ycck) {
        // YCCK: the first three are YCbCr of the (inverted) CMY.
        int y = c0;
        int cb = c1 - 128;
        int cr = c2 - 128;
        c0 = clamp((int) Math.round(y + 1.402 * cr));
        c1 = clamp((int) Math.round(y - 0.344136 * cb - 0.714136 * cr));
        c2 = clamp((int) Math.round(y + 1.772 * cb));
      }
      int k = s[4 * i + 3];
      if (!adobe) {
        // Plain CMYK: 255 means full ink; turn it into the inverted form.
        c0 = 255 - c0;
        c1 = 255 - c1;
        c2 = 255 - c2;
        k = 255 - k;
      }
      out[3 * i] = c0 * k / 255;
      out[3 * i + 1] = c1 * k / 255;
      out[3 * i + 2] = c2 * k / 255;
    }
    return new RgbImage(w, h, out, "CMYK converted to RGB");
  }

  private static int clamp(int v) {
    return Math.max(0, Math.min(255, v));
  }

  private static boolean hasAdobe(org.w3c.dom.Node node) {
    if ("app14Adobe".equals(node.getNodeName())) {
      return true;
    }
    for (org.w3c.dom.Node c = node.getFirstChild(); c != null; c = c.getNextSibling()) {
      if (hasAdobe(c)) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasAdobeTransform(org.w3c.dom.Node node, int transform) {
    if ("app14Adobe".equals(node.getNodeName())) {
      org.w3c.dom.Node t = node.getAttributes().getNamedItem("transform");
      return t != null && Integer.parseInt(t.getNodeValue()) == transform;
    }
    for (org.w3c.dom.Node c = node.getFirstChild(); c != null; c = c.getNextSibling()) {
      if (hasAdobeTransform(c, transform)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Converts decoded samples to 8-bit RGB as Pillow's convert("RGB") would: grayscale replicated
   * (no gamma change), alpha dropped, 16-bit samples reduced to their high byte.
   */
  static RgbImage toRgb(BufferedImage image) {
    Raster raster = image.getRaster();
    int w = image.getWidth();
    int h = image.getHeight();
    int bands = raster.getNumBands();
    int bits = raster.getSampleModel().getSampleSize(0);
    boolean indexed = image.getColorModel() instanceof java.awt.image.IndexColorModel;
    int[] out = new int[w * h * 3];
    if (indexed || bands > 4) {
      int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
      for (int i = 0; i < argb.length; i++) {
        out[3 * i] = (argb[i] >> 16) & 0xff;
        out[3 * i + 1] = (argb[i] >> 8) & 0xff;
        out[3 * i + 2] = argb[i] & 0xff;
      }
      return new RgbImage(w, h, out, indexed ? "palette image converted to RGB" : null);
    }
    int shift = Math.max(0, bits - 8);
    int[] samples = raster.getPixels(0, 0, w, h, (int[]) null);
    for (int i = 0; i < w * h; i++) {
      if (bands <= 2) {
        int v = samples[i * bands] >> shift;
        out[3 * i] = v;
        out[3 * i + 1] = v;
        out[3 * i + 2] = v;
      } else {
        for (int c = 0; c < 3; c++) {
          out[3 * i + c] = samples[i * bands + c] >> shift;
        }
      }
    }
    StringBuilder n = new StringBuilder();
    if (bands <= 2) {
      n.append("grayscale replicated to RGB");
    }
    if (bands == 2 || bands == 4) {
      n.append(n.length() > 0 ? "; " : "").append("alpha channel dropped");
    }
    if (bits > 8) {
      n.append(n.length() > 0 ? "; " : "").append(bits).append("-bit samples reduced to 8 bits");
    }
    return new RgbImage(w, h, out, n.length() == 0 ? null : n.toString());
  }
}

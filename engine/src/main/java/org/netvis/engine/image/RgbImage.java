package org.netvis.engine.image;

/**
 * An 8-bit RGB image, row-major and interleaved (r, g, b per pixel), values 0..255 held as ints.
 *
 * @param note how the file was converted to RGB (grayscale, alpha dropped, 16-bit reduced), or null
 */
public record RgbImage(int width, int height, int[] rgb, String note) {
  public RgbImage {
    if (rgb.length != width * height * 3) {
      throw new IllegalArgumentException(width + "x" + height + " RGB image needs " + width * height * 3
          + " values, got " + rgb.length);
    }
  }

  public int get(int x, int y, int channel) {
    return rgb[(y * width + x) * 3 + channel];
  }

  /**
   * The image at {@code w} x {@code h}, each pixel repeated (nearest neighbour, floor(dst * in / out)):
   * how a map at a layer's resolution is shown over a photo, its cells kept visible as cells.
   */
  public RgbImage scaledNearest(int w, int h) {
    if (w == width && h == height) {
      return this;
    }
    int[] out = new int[w * h * 3];
    for (int y = 0; y < h; y++) {
      int sy = (int) ((long) y * height / h);
      for (int x = 0; x < w; x++) {
        int sx = (int) ((long) x * width / w);
        System.arraycopy(rgb, (sy * width + sx) * 3, out, (y * w + x) * 3, 3);
      }
    }
    return new RgbImage(w, h, out, note);
  }
}

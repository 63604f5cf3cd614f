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
}

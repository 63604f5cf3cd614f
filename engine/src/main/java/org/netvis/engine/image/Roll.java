package org.netvis.engine.image;

/**
 * {@code torch.roll} over the last two axes of planar [C, H, W] images in flat arrays: the random
 * jitter of class visualization and DeepDream, undone by rolling back.
 */
public final class Roll {
  private Roll() {}

  /** The image rolled by {@code dx} along W and {@code dy} along H (positive moves content right/down). */
  public static float[] of(float[] image, int channels, int height, int width, int dx, int dy) {
    float[] out = new float[image.length];
    into(image, 0, out, 0, channels, height, width, dx, dy);
    return out;
  }

  /** {@link #of} from {@code src} at {@code srcOffset} into {@code dst} at {@code dstOffset}, row by row. */
  public static void into(float[] src, int srcOffset, float[] dst, int dstOffset, int channels, int height,
      int width, int dx, int dy) {
    int sx = Math.floorMod(dx, width);
    int sy = Math.floorMod(dy, height);
    for (int c = 0; c < channels; c++) {
      int base = c * height * width;
      for (int y = 0; y < height; y++) {
        int from = srcOffset + base + y * width;
        int to = dstOffset + base + ((y + sy) % height) * width;
        // Row y's columns [0, width - sx) land at [sx, width), the rest wrap to [0, sx).
        System.arraycopy(src, from, dst, to + sx, width - sx);
        System.arraycopy(src, from + width - sx, dst, to, sx);
      }
    }
  }
}

package org.netvis.plugins.classvisualization;

/**
 * The image operations of the class-visualization loop, on one [C, H, W] float image held in a
 * flat array: roll (jitter) and per-channel clamp (the blur is the engine's GaussianBlur).
 */
public final class ImageOps {
  private ImageOps() {}

  /** torch.roll by {@code dx} along W and {@code dy} along H (positive moves content right/down). */
  public static float[] roll(float[] image, int channels, int height, int width, int dx, int dy) {
    float[] out = new float[image.length];
    rollInto(image, 0, out, 0, channels, height, width, dx, dy);
    return out;
  }

  /** {@link #roll} from {@code src} at {@code srcOffset} into {@code dst} at {@code dstOffset}, row by row. */
  public static void rollInto(float[] src, int srcOffset, float[] dst, int dstOffset, int channels, int height,
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

  /** Clamps each channel c to [low[c], high[c]] in place. */
  public static void clamp(float[] image, int channels, float[] low, float[] high) {
    int plane = image.length / channels;
    for (int c = 0; c < channels; c++) {
      for (int i = c * plane; i < (c + 1) * plane; i++) {
        image[i] = Math.max(low[c], Math.min(high[c], image[i]));
      }
    }
  }
}

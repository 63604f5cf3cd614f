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
    int sx = Math.floorMod(dx, width);
    int sy = Math.floorMod(dy, height);
    for (int c = 0; c < channels; c++) {
      int base = c * height * width;
      for (int y = 0; y < height; y++) {
        int ty = (y + sy) % height;
        for (int x = 0; x < width; x++) {
          out[base + ty * width + (x + sx) % width] = image[base + y * width + x];
        }
      }
    }
    return out;
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

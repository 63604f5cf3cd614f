package org.netvis.plugins.classvisualization;

/**
 * The class-visualization loop's per-channel clamp of one [C, H, W] float image held in a flat
 * array (the roll and the blur are the engine's Roll and GaussianBlur).
 */
public final class ImageOps {
  private ImageOps() {}

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

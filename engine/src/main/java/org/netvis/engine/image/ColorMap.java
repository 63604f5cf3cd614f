package org.netvis.engine.image;

/**
 * Matplotlib's colour maps used in figures: "hot" for saliency and other non-negative maps, "bwr"
 * (blue, white, red) for signed attributions, "gray" for plain intensity.
 */
public enum ColorMap {
  /** Black, red, yellow, white: matplotlib's {@code hot}. */
  HOT {
    @Override
    int[] rgb(double v) {
      double r = ramp(v, 0.0, 0.365079, 0.0416);
      double g = ramp(v, 0.365079, 0.746032, 0.0);
      double b = ramp(v, 0.746032, 1.0, 0.0);
      return new int[] {to8(r), to8(g), to8(b)};
    }
  },
  /** Blue at the most negative, white at zero, red at the most positive: matplotlib's {@code bwr}. */
  BWR {
    @Override
    int[] rgb(double v) {
      double r = v < 0.5 ? 2 * v : 1;
      double g = v < 0.5 ? 2 * v : 2 * (1 - v);
      double b = v < 0.5 ? 1 : 2 * (1 - v);
      return new int[] {to8(r), to8(g), to8(b)};
    }
  },
  GRAY {
    @Override
    int[] rgb(double v) {
      int x = to8(v);
      return new int[] {x, x, x};
    }
  };

  /** The colour of a value in [0, 1] (clamped; NaN counts as 0). */
  abstract int[] rgb(double v);

  /** startValue at {@code from} (0 before it), rising linearly to 1 at {@code to}. */
  private static double ramp(double v, double from, double to, double startValue) {
    if (v <= from) {
      return from == 0 ? startValue : 0;
    }
    if (v >= to) {
      return 1;
    }
    return startValue + (1 - startValue) * (v - from) / (to - from);
  }

  private static int to8(double v) {
    return (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
  }

  /** Maps values to colours, scaled so that the largest finite value is 1 (as imshow does). */
  public RgbImage apply(float[] values, int width, int height) {
    double max = 0;
    double min = Double.POSITIVE_INFINITY;
    for (float v : values) {
      if (Float.isFinite(v)) {
        max = Math.max(max, v);
        min = Math.min(min, v);
      }
    }
    if (!Double.isFinite(min)) {
      min = 0;
    }
    double range = max - min;
    int[] rgb = new int[width * height * 3];
    for (int i = 0; i < width * height; i++) {
      double v = Float.isFinite(values[i]) && range > 0 ? (values[i] - min) / range : 0;
      int[] c = rgb(v);
      rgb[3 * i] = c[0];
      rgb[3 * i + 1] = c[1];
      rgb[3 * i + 2] = c[2];
    }
    return new RgbImage(width, height, rgb, null);
  }

  /**
   * Maps signed values symmetrically: zero to the middle of the map, -m and +m to its ends, m the
   * largest absolute finite value (so that white means zero in {@link #BWR}).
   */
  public RgbImage applySymmetric(float[] values, int width, int height) {
    double m = 0;
    for (float v : values) {
      if (Float.isFinite(v)) {
        m = Math.max(m, Math.abs(v));
      }
    }
    int[] rgb = new int[width * height * 3];
    for (int i = 0; i < width * height; i++) {
      double v = Float.isFinite(values[i]) && m > 0 ? 0.5 + 0.5 * values[i] / m : 0.5;
      int[] c = rgb(v);
      System.arraycopy(c, 0, rgb, 3 * i, 3);
    }
    return new RgbImage(width, height, rgb, null);
  }

  /** A horizontal legend bar from low to high. */
  public RgbImage legend(int width, int height) {
    int[] rgb = new int[width * height * 3];
    for (int x = 0; x < width; x++) {
      int[] c = rgb(width == 1 ? 0 : (double) x / (width - 1));
      for (int y = 0; y < height; y++) {
        System.arraycopy(c, 0, rgb, (y * width + x) * 3, 3);
      }
    }
    return new RgbImage(width, height, rgb, null);
  }
}

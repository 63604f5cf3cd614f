package org.netvis.plugins.sanitycheck;

import org.netvis.engine.tensor.FloatOrder;

/** Spearman rank correlation and SSIM between two 2-D maps, as the sanity-check paper compares them. */
final class MapSimilarity {
  private MapSimilarity() {}

  /** Ranks from 1, ties (equal values) given their average rank. */
  static double[] ranks(float[] v) {
    int[] order = FloatOrder.ascending(v);
    double[] r = new double[v.length];
    int i = 0;
    while (i < v.length) {
      float value = v[order[i]];
      int j = i;
      while (j + 1 < v.length && v[order[j + 1]] == value) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        r[order[k]] = rank;
      }
      i = j + 1;
    }
    return r;
  }

  /** Pearson correlation; of two maps' {@link #ranks}, their Spearman rank correlation. */
  static double pearson(double[] a, double[] b) {
    double ma = 0;
    double mb = 0;
    for (int i = 0; i < a.length; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= a.length;
    mb /= b.length;
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
  }

  /**
   * SSIM (Wang et al. 2004) of two maps scaled to [0, 1] by their own maxima: Gaussian window 11 x 11
   * with sigma 1.5 (valid positions only), C1 = 0.01^2, C2 = 0.03^2, averaged over the map.
   */
  static double ssim(float[] a, float[] b, int h, int w) {
    int k = 11;
    if (h < k || w < k) {
      return 1;
    }
    double[] x = unit(a);
    double[] y = unit(b);
    double[] g = new double[k];
    double sum = 0;
    for (int i = 0; i < k; i++) {
      g[i] = Math.exp(-0.5 * Math.pow((i - k / 2) / 1.5, 2));
      sum += g[i];
    }
    for (int i = 0; i < k; i++) {
      g[i] /= sum;
    }
    double[] xx = new double[x.length];
    double[] yy = new double[x.length];
    double[] xy = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      xx[i] = x[i] * x[i];
      yy[i] = y[i] * y[i];
      xy[i] = x[i] * y[i];
    }
    // The window's weights are g[i] * g[j]: filter rows, then columns (22 products per position, not 121).
    double[] mx = windowMeans(x, h, w, g);
    double[] my = windowMeans(y, h, w, g);
    double[] mxx = windowMeans(xx, h, w, g);
    double[] myy = windowMeans(yy, h, w, g);
    double[] mxy = windowMeans(xy, h, w, g);
    double c1 = 1e-4;
    double c2 = 9e-4;
    double total = 0;
    for (int p = 0; p < mx.length; p++) {
      double sx = mxx[p] - mx[p] * mx[p];
      double sy = myy[p] - my[p] * my[p];
      double sxy = mxy[p] - mx[p] * my[p];
      total += ((2 * mx[p] * my[p] + c1) * (2 * sxy + c2)) / ((mx[p] * mx[p] + my[p] * my[p] + c1) * (sx + sy + c2));
    }
    return total / mx.length;
  }

  /** Gaussian-weighted means over every k x k window that fits in the h x w map, (h - k + 1) x (w - k + 1). */
  private static double[] windowMeans(double[] v, int h, int w, double[] g) {
    int k = g.length;
    int ow = w - k + 1;
    int oh = h - k + 1;
    // Taps outermost and positions innermost: each sum still adds its taps in order, and the inner
    // loops run over contiguous memory (the JIT vectorizes them).
    double[] rows = new double[h * ow];
    for (int r = 0; r < h; r++) {
      for (int j = 0; j < k; j++) {
        double gj = g[j];
        int from = r * w + j;
        int to = r * ow;
        for (int c = 0; c < ow; c++) {
          rows[to + c] += gj * v[from + c];
        }
      }
    }
    double[] out = new double[oh * ow];
    for (int r = 0; r < oh; r++) {
      for (int i = 0; i < k; i++) {
        double gi = g[i];
        int from = (r + i) * ow;
        int to = r * ow;
        for (int c = 0; c < ow; c++) {
          out[to + c] += gi * rows[from + c];
        }
      }
    }
    return out;
  }

  private static double[] unit(float[] v) {
    double max = 0;
    for (float f : v) {
      max = Math.max(max, f);
    }
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = max > 0 ? v[i] / max : 0;
    }
    return out;
  }
}

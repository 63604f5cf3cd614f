package org.netvis.plugins.sanitycheck;

import java.util.Arrays;

/** Spearman rank correlation and SSIM between two 2-D maps, as the sanity-check paper compares them. */
final class MapSimilarity {
  private MapSimilarity() {}

  /** Pearson correlation of the ranks, ties given their average rank. */
  static double spearman(float[] a, float[] b) {
    return pearson(ranks(a), ranks(b));
  }

  static double[] ranks(float[] v) {
    Integer[] order = new Integer[v.length];
    for (int i = 0; i < v.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Float.compare(v[x], v[y]));
    double[] r = new double[v.length];
    int i = 0;
    while (i < v.length) {
      int j = i;
      while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) {
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
    double[] x = unit(a);
    double[] y = unit(b);
    int k = 11;
    double[] g = new double[k];
    double sum = 0;
    for (int i = 0; i < k; i++) {
      g[i] = Math.exp(-0.5 * Math.pow((i - k / 2) / 1.5, 2));
      sum += g[i];
    }
    for (int i = 0; i < k; i++) {
      g[i] /= sum;
    }
    double c1 = 1e-4;
    double c2 = 9e-4;
    double total = 0;
    int count = 0;
    for (int r = 0; r + k <= h; r++) {
      for (int c = 0; c + k <= w; c++) {
        double mx = 0;
        double my = 0;
        double xx = 0;
        double yy = 0;
        double xy = 0;
        for (int i = 0; i < k; i++) {
          for (int j = 0; j < k; j++) {
            double wt = g[i] * g[j];
            double vx = x[(r + i) * w + c + j];
            double vy = y[(r + i) * w + c + j];
            mx += wt * vx;
            my += wt * vy;
            xx += wt * vx * vx;
            yy += wt * vy * vy;
            xy += wt * vx * vy;
          }
        }
        double sx = xx - mx * mx;
        double sy = yy - my * my;
        double sxy = xy - mx * my;
        total += ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sx + sy + c2));
        count++;
      }
    }
    return count == 0 ? 1 : total / count;
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

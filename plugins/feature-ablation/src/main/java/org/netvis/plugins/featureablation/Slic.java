package org.netvis.plugins.featureablation;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * SLIC superpixels (Achanta et al. 2012) with scikit-image's defaults for an RGB image (ten iterations,
 * compactness 10, connectivity enforced), the segmentation Captum's tutorials make their features
 * with: k-means in CIELAB colour and position from centres on a regular grid, each centre searching a
 * 2S x 2S window (S the grid step for the requested number of segments), distance
 * sqrt(d_lab^2 + (compactness * d_xy / S)^2); then 4-connected components, those under half the
 * average segment size merged into the component above or left of their first pixel. The details
 * (grid placement, merging) are this implementation's, not scikit-image's line by line.
 */
final class Slic {
  private Slic() {}

  private static final int ITERATIONS = 10;

  /** Segment ids 0..K-1 of an RGB image in [0, 1], planar [3][H*W]. */
  static int[] segments(float[][] rgb, int height, int width, int segments, double compactness) {
    int plane = height * width;
    double[][] lab = lab(rgb, plane);
    double step = Math.sqrt((double) plane / segments);
    int rows = Math.max(1, (int) Math.round(height / step));
    int cols = Math.max(1, (int) Math.round(width / step));
    int k = rows * cols;
    double[][] centres = new double[k][5]; // L, a, b, y, x
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int y = (int) ((r + 0.5) * height / rows);
        int x = (int) ((c + 0.5) * width / cols);
        double[] centre = centres[r * cols + c];
        for (int ch = 0; ch < 3; ch++) {
          centre[ch] = lab[ch][y * width + x];
        }
        centre[3] = y;
        centre[4] = x;
      }
    }
    double spatial = compactness / step;
    int[] label = new int[plane];
    double[] best = new double[plane];
    int reach = (int) Math.ceil(step);
    for (int iteration = 0; iteration < ITERATIONS; iteration++) {
      Arrays.fill(best, Double.POSITIVE_INFINITY);
      for (int j = 0; j < k; j++) {
        double[] c = centres[j];
        int y0 = Math.max(0, (int) c[3] - reach);
        int y1 = Math.min(height - 1, (int) c[3] + reach);
        int x0 = Math.max(0, (int) c[4] - reach);
        int x1 = Math.min(width - 1, (int) c[4] + reach);
        for (int y = y0; y <= y1; y++) {
          for (int x = x0; x <= x1; x++) {
            int p = y * width + x;
            double dl = lab[0][p] - c[0];
            double da = lab[1][p] - c[1];
            double db = lab[2][p] - c[2];
            double dy = (y - c[3]) * spatial;
            double dx = (x - c[4]) * spatial;
            double d = dl * dl + da * da + db * db + dy * dy + dx * dx;
            if (d < best[p]) {
              best[p] = d;
              label[p] = j;
            }
          }
        }
      }
      double[][] sums = new double[k][6];
      for (int p = 0; p < plane; p++) {
        double[] s = sums[label[p]];
        s[0] += lab[0][p];
        s[1] += lab[1][p];
        s[2] += lab[2][p];
        s[3] += p / width;
        s[4] += p % width;
        s[5]++;
      }
      for (int j = 0; j < k; j++) {
        if (sums[j][5] > 0) {
          for (int d = 0; d < 5; d++) {
            centres[j][d] = sums[j][d] / sums[j][5];
          }
        }
      }
    }
    return connected(label, height, width, Math.max(1, plane / k / 2));
  }

  /**
   * Connected components (4-neighbours) of the labels, numbered in scan order; a component smaller than
   * {@code minimum} joins the component of the pixel above or to the left of its first pixel.
   */
  static int[] connected(int[] label, int height, int width, int minimum) {
    int plane = height * width;
    int[] out = new int[plane];
    Arrays.fill(out, -1);
    int next = 0;
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    int[] members = new int[plane];
    for (int start = 0; start < plane; start++) {
      if (out[start] >= 0) {
        continue;
      }
      int count = 0;
      out[start] = next;
      queue.add(start);
      while (!queue.isEmpty()) {
        int p = queue.poll();
        members[count++] = p;
        int y = p / width;
        int x = p % width;
        int[] neighbours = {y > 0 ? p - width : -1, y < height - 1 ? p + width : -1, x > 0 ? p - 1 : -1,
            x < width - 1 ? p + 1 : -1};
        for (int q : neighbours) {
          if (q >= 0 && out[q] < 0 && label[q] == label[start]) {
            out[q] = next;
            queue.add(q);
          }
        }
      }
      int y = start / width;
      int x = start % width;
      int adjacent = y > 0 ? out[start - width] : x > 0 ? out[start - 1] : -1;
      if (count < minimum && adjacent >= 0) {
        for (int i = 0; i < count; i++) {
          out[members[i]] = adjacent;
        }
      } else {
        next++;
      }
    }
    return out;
  }

  /** sRGB in [0, 1] to CIELAB under D65, planar. */
  private static double[][] lab(float[][] rgb, int plane) {
    double[][] out = new double[3][plane];
    for (int p = 0; p < plane; p++) {
      double r = linear(rgb[0][p]);
      double g = linear(rgb[1][p]);
      double b = linear(rgb[2][p]);
      double x = (0.412453 * r + 0.357580 * g + 0.180423 * b) / 0.95047;
      double y = 0.212671 * r + 0.715160 * g + 0.072169 * b;
      double z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.08883;
      double fx = f(x);
      double fy = f(y);
      double fz = f(z);
      out[0][p] = 116 * fy - 16;
      out[1][p] = 500 * (fx - fy);
      out[2][p] = 200 * (fy - fz);
    }
    return out;
  }

  private static double linear(double v) {
    return v > 0.04045 ? Math.pow((v + 0.055) / 1.055, 2.4) : v / 12.92;
  }

  private static double f(double t) {
    return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16.0 / 116;
  }
}

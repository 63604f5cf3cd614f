package org.netvis.engine.image;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * A small line plot (curves over a [0, 1] x axis, y from 0 to a top value) for figures such as
 * deletion/insertion curves: axes, ticks at 0, 0.5 and 1, and a legend with each curve's label.
 */
public final class LinePlot {
  /** Matplotlib's default colour cycle (tab10). */
  private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
      new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
      new Color(0xbcbd22), new Color(0x17becf)};

  private record Series(String label, double[] y, boolean dashed) {}

  private final String xLabel;
  private final String yLabel;
  private final double yTop;
  private final List<Series> series = new ArrayList<>();

  public LinePlot(String xLabel, String yLabel, double yTop) {
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.yTop = yTop;
  }

  /** A curve of evenly spaced points from x = 0 to x = 1; dashed curves share the colour of the one before. */
  public LinePlot add(String label, double[] y, boolean dashed) {
    series.add(new Series(label, y.clone(), dashed));
    return this;
  }

  public RgbImage render(int width, int height) {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    int left = 44;
    int right = 10;
    int top = 10;
    int legendRows = series.size();
    int bottom = 48 + 14 * legendRows;
    int w = width - left - right;
    int h = height - top - bottom;
    g.setColor(Color.BLACK);
    g.drawRect(left, top, w, h);
    for (double t : new double[] {0, 0.5, 1}) {
      int x = left + (int) Math.round(t * w);
      int y = top + h - (int) Math.round(t * h);
      g.drawLine(x, top + h, x, top + h + 4);
      g.drawString(format(t), x - 8, top + h + 16);
      g.drawLine(left - 4, y, left, y);
      g.drawString(format(t * yTop), 4, y + 4);
    }
    g.drawString(xLabel, left + w / 2 - g.getFontMetrics().stringWidth(xLabel) / 2, top + h + 28);
    g.drawString(yLabel, left + 4, top + 12);
    int colour = -1;
    for (int s = 0; s < series.size(); s++) {
      Series ser = series.get(s);
      if (!ser.dashed() || colour < 0) {
        colour++;
      }
      g.setColor(COLORS[colour % COLORS.length]);
      g.setStroke(ser.dashed() ? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {5, 4}, 0)
          : new BasicStroke(1.5f));
      double[] y = ser.y();
      for (int i = 1; i < y.length; i++) {
        g.drawLine(px(i - 1, y.length, left, w), py(y[i - 1], top, h), px(i, y.length, left, w), py(y[i], top, h));
      }
      int ly = top + h + 46 + 14 * s;
      g.drawLine(left, ly - 4, left + 24, ly - 4);
      g.setColor(Color.BLACK);
      g.drawString(ser.label(), left + 30, ly);
    }
    g.dispose();
    int[] rgb = new int[width * height * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int p = img.getRGB(x, y);
        int k = (y * width + x) * 3;
        rgb[k] = (p >> 16) & 0xff;
        rgb[k + 1] = (p >> 8) & 0xff;
        rgb[k + 2] = p & 0xff;
      }
    }
    return new RgbImage(width, height, rgb, null);
  }

  private static int px(int i, int n, int left, int w) {
    return left + (int) Math.round(n == 1 ? 0 : (double) i / (n - 1) * w);
  }

  private int py(double v, int top, int h) {
    double clamped = Math.max(0, Math.min(yTop, v));
    return top + h - (int) Math.round(clamped / yTop * h);
  }

  private static String format(double v) {
    return v == Math.rint(v) ? Integer.toString((int) v) : String.format("%.1f", v);
  }
}

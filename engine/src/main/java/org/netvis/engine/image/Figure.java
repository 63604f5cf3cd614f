package org.netvis.engine.image;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A grid of titled image panels on a white background, like the assignment's matplotlib figures.
 * Rows are added one at a time; each panel has a title above it.
 */
public final class Figure {
  private static final int PAD = 8;
  private static final int TITLE = 18;
  private final List<List<Panel>> rows = new ArrayList<>();
  private final String heading;

  private record Panel(RgbImage image, String title) {}

  public Figure(String heading) {
    this.heading = heading;
  }

  /**
   * Renders a small figure on a daemon thread, so that Java2D loads its fonts while a run starts: the
   * first figure of a process otherwise paid that inside its step (40-90 ms on the 2-core machine,
   * against 1-4 ms for every later figure).
   */
  public static void warmUp() {
    Thread t = new Thread(() -> new Figure("warm-up").panel(new RgbImage(1, 1, new int[3], null), "warm-up").render(),
        "netvis-figure-warm-up");
    t.setDaemon(true);
    t.start();
  }

  public Figure row() {
    rows.add(new ArrayList<>());
    return this;
  }

  public Figure panel(RgbImage image, String title) {
    if (rows.isEmpty()) {
      row();
    }
    rows.get(rows.size() - 1).add(new Panel(image, title));
    return this;
  }

  /** Each row's panel titles, in order. */
  public List<List<String>> titles() {
    return rows.stream().map(r -> r.stream().map(Panel::title).toList()).toList();
  }

  /** Cell and canvas sizes; the canvas is at least 1 x 1. */
  private record Layout(int cellW, int cellH, int headH, int width, int height) {}

  private Layout layout() {
    int cols = rows.stream().mapToInt(List::size).max().orElse(0);
    int cellW = 0;
    int cellH = 0;
    for (List<Panel> r : rows) {
      for (Panel p : r) {
        cellW = Math.max(cellW, p.image.width());
        cellH = Math.max(cellH, p.image.height());
      }
    }
    int headH = heading == null ? 0 : TITLE + PAD;
    return new Layout(cellW, cellH, headH, Math.max(PAD + cols * (cellW + PAD), 1),
        Math.max(PAD + headH + rows.size() * (cellH + TITLE + PAD), 1));
  }

  /** The rendered figure's pixel count, without rendering it. */
  public long pixels() {
    Layout l = layout();
    return (long) l.width() * l.height();
  }

  public BufferedImage render() {
    Layout l = layout();
    int cellW = l.cellW();
    int cellH = l.cellH();
    int headH = l.headH();
    BufferedImage out = new BufferedImage(l.width(), l.height(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, out.getWidth(), out.getHeight());
    g.setColor(Color.BLACK);
    if (heading != null) {
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
      g.drawString(heading, PAD, PAD + 14);
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    for (int r = 0; r < rows.size(); r++) {
      for (int c = 0; c < rows.get(r).size(); c++) {
        Panel p = rows.get(r).get(c);
        int x = PAD + c * (cellW + PAD);
        int y = PAD + headH + r * (cellH + TITLE + PAD);
        String title = fit(p.title == null ? "" : p.title, fm, cellW);
        g.drawString(title, x + (cellW - fm.stringWidth(title)) / 2, y + 13);
        g.drawImage(PngImages.toBufferedImage(p.image), x + (cellW - p.image.width()) / 2, y + TITLE, null);
      }
    }
    g.dispose();
    return out;
  }

  private static String fit(String s, FontMetrics fm, int width) {
    if (fm.stringWidth(s) <= width) {
      return s;
    }
    String t = s;
    while (t.length() > 1 && fm.stringWidth(t + "…") > width) {
      t = t.substring(0, t.length() - 1);
    }
    return t + "…";
  }

  public void write(Path file) throws IOException {
    PngImages.write(file, render());
  }
}

package org.netvis.engine.report;

import java.util.Base64;
import org.netvis.engine.image.PngImages;
import org.netvis.engine.image.RgbImage;

/** Escaping and the shared page frame of netvis' HTML pages: self-contained, no external resources. */
public final class Html {
  private Html() {}

  public static String esc(Object o) {
    if (o == null) {
      return "";
    }
    String s = o.toString();
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** A relative URL for a path inside the run directory: each segment percent-encoded. */
  public static String href(String relative) {
    StringBuilder b = new StringBuilder();
    for (String part : relative.split("/")) {
      if (b.length() > 0) {
        b.append('/');
      }
      b.append(java.net.URLEncoder.encode(part, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return esc(b.toString());
  }

  /** An image embedded as a data: URL (legends), so the page needs no extra file. */
  static String dataUrl(RgbImage image) {
    byte[] png = PngImages.encode(PngImages.toBufferedImage(image));
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
  }

  static final String STYLE = """
      :root { color-scheme: light; --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --bg: #ffffff; --panel: #f5f7fa; }
      * { box-sizing: border-box; }
      body { margin: 0; padding: 1rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
             color: var(--fg); background: var(--bg); max-width: 1200px; margin-inline: auto; }
      h1 { font-size: 1.5rem; margin: 0.2rem 0; } h2 { font-size: 1.2rem; margin: 1.6rem 0 0.4rem; border-top: 1px solid var(--line); padding-top: 1rem; }
      h3 { font-size: 1rem; margin: 1rem 0 0.3rem; }
      a { color: #1f5fbf; } .muted { color: var(--muted); } code { font-size: 0.9em; word-break: break-all; }
      img { max-width: 100%; height: auto; display: block; }
      .status { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 1rem; font-weight: 600; font-size: 0.85rem; }
      .status-succeeded { background: #dff3e4; color: #1c6b35; } .status-failed { background: #fbe0e0; color: #9b1c1c; }
      .status-interrupted, .status-running { background: #fff1d6; color: #8a5a00; }
      .scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
      table { border-collapse: collapse; margin: 0.4rem 0; font-size: 0.9rem; }
      th, td { border-bottom: 1px solid var(--line); padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
      th { background: var(--panel); font-weight: 600; }
      td.num { text-align: right; font-variant-numeric: tabular-nums; }
      .kv th { width: 12rem; }
      .figure { margin: 0.6rem 0; } .figure img { border: 1px solid var(--line); }
      .thumb { width: 96px; max-width: 30vw; }
      .strip { display: flex; gap: 0.4rem; overflow-x: auto; padding-bottom: 0.3rem; }
      .strip figure { margin: 0; flex: 0 0 auto; } .strip figcaption { font-size: 0.75rem; color: var(--muted); text-align: center; }
      .strip img { width: 112px; max-width: 28vw; }
      .legend { display: flex; align-items: center; gap: 0.5rem; font-size: 0.8rem; color: var(--muted); margin: 0.3rem 0; }
      .legend img { width: 200px; max-width: 50vw; height: 12px; border: 1px solid var(--line); }
      .files { font-size: 0.85rem; } .error { background: #fbe0e0; padding: 0.5rem 0.8rem; border-radius: 0.3rem; }
      nav ol { padding-left: 1.2rem; margin: 0.3rem 0; }
      @media (max-width: 600px) { body { padding: 0.6rem; font-size: 14px; } .kv th { width: auto; } }
      """;

  static String page(String title, String body) {
    return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" + esc(title)
        + "</title>\n<style>\n" + STYLE + "</style>\n</head>\n<body>\n" + body + "\n</body>\n</html>\n";
  }
}

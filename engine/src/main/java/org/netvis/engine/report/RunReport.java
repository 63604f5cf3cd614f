package org.netvis.engine.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.netvis.engine.image.ColorMap;
import org.netvis.engine.run.BuildInfo;

/**
 * Writes a run directory's report.html from its manifest and each step's results.json: the run's
 * provenance, then one section per step with its figures, per-image tables, snapshot strips and
 * links to the raw arrays. Every link is relative and every style inline, so the page works
 * offline and when the directory is copied elsewhere.
 */
public final class RunReport {
  public static final String FILE = "report.html";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SNAPSHOT = Pattern.compile("(.+)_iter(\\d+)\\.png");

  private RunReport() {}

  public static Path write(Path runDir) throws IOException {
    JsonNode m = JSON.readTree(runDir.resolve("manifest.json").toFile());
    String name = m.at("/experiment/name").asText(runDir.getFileName().toString());
    String status = m.path("status").asText("unknown");
    StringBuilder b = new StringBuilder();
    b.append("<header><p class=\"muted\">netvis run</p><h1>").append(Html.esc(name)).append("</h1>");
    b.append("<span class=\"status status-").append(Html.esc(status)).append("\">").append(Html.esc(status))
        .append("</span>");
    if (m.hasNonNull("reason")) {
      b.append("<p class=\"error\">").append(Html.esc(m.get("reason").asText())).append("</p>");
    }
    b.append("</header>\n");
    b.append(summary(m));
    JsonNode steps = m.path("steps");
    if (steps.size() > 0) {
      b.append("<nav><h2>Steps</h2><ol>");
      for (JsonNode s : steps) {
        b.append("<li><a href=\"#step-").append(s.path("index").asInt()).append("\">")
            .append(Html.esc(s.path("technique").asText())).append("</a> <span class=\"muted\">")
            .append(Html.esc(s.path("status").asText())).append("</span></li>");
      }
      b.append("</ol></nav>\n");
    }
    for (JsonNode s : steps) {
      b.append(step(runDir, s));
    }
    b.append("<footer><p class=\"muted\">Written by netvis ").append(Html.esc(BuildInfo.version()))
        .append(". Raw data: <a href=\"manifest.json\">manifest.json</a>, ")
        .append("<a href=\"experiment.resolved.json\">experiment.resolved.json</a>")
        .append(Files.exists(runDir.resolve("run.log")) ? ", <a href=\"run.log\">run.log</a>" : "")
        .append(".</p></footer>");
    Path out = runDir.resolve(FILE);
    Files.writeString(out, Html.page("netvis: " + name + " (" + status + ")", b.toString()), StandardCharsets.UTF_8);
    return out;
  }

  private static String summary(JsonNode m) {
    Map<String, String> rows = new LinkedHashMap<>();
    rows.put("Model", m.at("/model/id").asText("") + " <code>" + Html.esc(m.at("/model/path").asText("")) + "</code>");
    rows.put("Model sha256", "<code>" + Html.esc(m.at("/model/sha256").asText("")) + "</code>");
    rows.put("Gradient graph sha256", "<code>" + Html.esc(m.at("/gradient_graph/sha256").asText("")) + "</code>");
    rows.put("Device", Html.esc(m.at("/runtime/device").asText("")) + " → " + Html.esc(m.at("/runtime/execution_provider").asText(""))
        + ", intra-op threads " + Html.esc(m.at("/runtime/intra_op_threads").asText("")));
    rows.put("Seeds", "experiment " + Html.esc(m.at("/seeds/experiment").asText("")) + "; steps "
        + Html.esc(m.at("/seeds/steps").toString()));
    rows.put("Started", Html.esc(m.path("started").asText("")));
    rows.put("Ended", Html.esc(m.path("ended").asText("")) + (m.has("duration_seconds")
        ? " (" + String.format("%.1f", m.get("duration_seconds").asDouble()) + " s)" : ""));
    rows.put("Software", "netvis " + Html.esc(m.at("/netvis/version").asText("")) + " (commit <code>"
        + Html.esc(m.at("/netvis/git_commit").asText("")) + "</code>), ONNX Runtime "
        + Html.esc(m.at("/runtime/onnxruntime_version").asText("")) + ", Java " + Html.esc(m.at("/java/version").asText("")));
    rows.put("Machine", Html.esc(m.at("/os/name").asText("")) + " " + Html.esc(m.at("/os/arch").asText("")) + ", "
        + Html.esc(m.at("/cpu/model").asText("")) + ", " + Html.esc(m.at("/cpu/cores").asText("")) + " cores");
    StringBuilder inputs = new StringBuilder();
    for (JsonNode in : m.path("inputs")) {
      String path = in.path("path").asText();
      inputs.append("<div><code>").append(Html.esc(path.substring(path.lastIndexOf('/') + 1))).append("</code> ")
          .append("<span class=\"muted\">sha256 ").append(Html.esc(in.path("sha256").asText().substring(0,
              Math.min(12, in.path("sha256").asText().length())))).append("…")
          .append(in.hasNonNull("note") ? "; " + Html.esc(in.get("note").asText()) : "").append("</span></div>");
    }
    rows.put("Inputs", inputs.toString());
    StringBuilder b = new StringBuilder("<section><h2>Run</h2><div class=\"scroll\"><table class=\"kv\">");
    rows.forEach((k, v) -> b.append("<tr><th>").append(k).append("</th><td>").append(v).append("</td></tr>"));
    return b.append("</table></div></section>\n").toString();
  }

  private static String step(Path runDir, JsonNode s) throws IOException {
    int index = s.path("index").asInt();
    String technique = s.path("technique").asText();
    StringBuilder b = new StringBuilder("<section id=\"step-" + index + "\"><h2>" + index + ". " + Html.esc(technique)
        + "</h2><p class=\"muted\">" + Html.esc(s.path("status").asText()) + ", "
        + String.format("%.2f", s.path("seconds").asDouble()) + " s, seed " + Html.esc(s.path("seed").asText()) + "</p>");
    if (s.hasNonNull("error")) {
      b.append("<p class=\"error\">").append(Html.esc(s.get("error").asText())).append("</p>");
    }
    String dirName = s.path("directory").asText(null);
    Path dir = dirName == null ? null : runDir.resolve(dirName);
    if (dir == null || !Files.isDirectory(dir)) {
      return b.append("</section>\n").toString();
    }
    JsonNode results = Files.exists(dir.resolve("results.json")) ? JSON.readTree(dir.resolve("results.json").toFile()) : null;
    if (results != null) {
      b.append(scalars(results));
      if (results.path("colormap").asText("").startsWith("hot")) {
        b.append("<div class=\"legend\"><span>0</span><img alt=\"hot colour map, low to high\" src=\"")
            .append(Html.dataUrl(ColorMap.HOT.legend(256, 12))).append("\"><span>")
            .append(Html.esc("largest |gradient| in the image")).append("</span></div>");
      } else if (results.path("colormap").asText("").startsWith("bwr")) {
        b.append("<div class=\"legend\"><span>most negative</span><img alt=\"blue-white-red colour map\" src=\"")
            .append(Html.dataUrl(ColorMap.BWR.legend(256, 12))).append("\"><span>most positive</span></div>");
      }
    }
    if (Files.exists(dir.resolve("figure.png"))) {
      b.append("<div class=\"figure\"><a href=\"").append(Html.href(dirName + "/figure.png")).append("\"><img src=\"")
          .append(Html.href(dirName + "/figure.png")).append("\" alt=\"").append(Html.esc(technique))
          .append(" figure\"></a></div>");
    }
    if (results != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = results.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isArray() && e.getValue().size() > 0 && e.getValue().get(0).isObject()) {
          b.append("<h3>").append(Html.esc(e.getKey().replace('_', ' '))).append("</h3>").append(table(dir, dirName, e.getValue()));
        }
      }
    }
    if (results != null && results.path("methods").isObject()) {
      // Per-method summaries (deletion/insertion AUCs, sanity-check correlations): one row each.
      com.fasterxml.jackson.databind.node.ArrayNode rows = JSON.createArrayNode();
      results.get("methods").fields().forEachRemaining(e -> {
        com.fasterxml.jackson.databind.node.ObjectNode row = JSON.createObjectNode().put("method", e.getKey());
        e.getValue().fields().forEachRemaining(f -> {
          if (f.getValue().isValueNode()) {
            row.set(f.getKey(), f.getValue());
          } else if (isFlatRecord(f.getValue())) {
            row.put(f.getKey(), compact(f.getValue()));
          } else if (f.getValue().isArray() && f.getValue().size() > 0 && f.getValue().get(0).isNumber()) {
            row.put(f.getKey(), numbers(f.getValue()));
          }
        });
        rows.add(row);
      });
      b.append("<h3>methods</h3>").append(table(dir, dirName, rows));
    }
    b.append(strips(dir, dirName));
    b.append(files(dir, dirName));
    return b.append("</section>\n").toString();
  }

  /** A numeric list in a table cell: every value to 3 decimals, at most 8 shown. */
  private static String numbers(JsonNode values) {
    StringBuilder b = new StringBuilder();
    int shown = Math.min(values.size(), 8);
    for (int i = 0; i < shown; i++) {
      b.append(i == 0 ? "" : " ").append(String.format("%.3f", values.get(i).asDouble()));
    }
    return values.size() > shown ? b + " ... " + String.format("%.3f", values.get(values.size() - 1).asDouble()) : b.toString();
  }

  private static String scalars(JsonNode results) {
    StringBuilder b = new StringBuilder();
    for (Iterator<Map.Entry<String, JsonNode>> it = results.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isValueNode() || isFlatRecord(e.getValue())) {
        String text = e.getValue().isValueNode() ? format(e.getKey(), e.getValue()) : compact(e.getValue());
        b.append("<tr><th>").append(Html.esc(e.getKey().replace('_', ' '))).append("</th><td>")
            .append(Html.esc(text)).append("</td></tr>");
      }
    }
    return b.length() == 0 ? "" : "<div class=\"scroll\"><table class=\"kv\">" + b + "</table></div>";
  }

  /**
   * An object of scalars and lists of scalars, such as the layer a method explained ({@code tensor},
   * {@code shape}, {@code layout}, ...): shown on one line rather than left out.
   */
  private static boolean isFlatRecord(JsonNode v) {
    if (!v.isObject() || v.size() == 0) {
      return false;
    }
    for (JsonNode f : v) {
      if (!f.isValueNode() && !(f.isArray() && f.size() <= 8 && java.util.stream.StreamSupport.stream(
          f.spliterator(), false).allMatch(JsonNode::isValueNode))) {
        return false;
      }
    }
    return true;
  }

  /** A flat record as "key value; key value", lists as [a, b]. */
  private static String compact(JsonNode record) {
    java.util.List<String> parts = new java.util.ArrayList<>();
    record.fields().forEachRemaining(f -> parts.add(f.getKey().replace('_', ' ') + " " + (f.getValue().isArray()
        ? f.getValue().toString().replace(",", ", ") : f.getValue().asText())));
    return String.join("; ", parts);
  }

  /** One row per item (image, class): scalars as cells, PNG names as thumbnails, top-k as a list. */
  private static String table(Path dir, String dirName, JsonNode rows) {
    Set<String> columns = new LinkedHashSet<>();
    for (JsonNode r : rows) {
      r.fieldNames().forEachRemaining(k -> {
        JsonNode v = r.get(k);
        if (!k.equals("files") && !k.equals("snapshots") && (v.isValueNode() || isObjectList(v))) {
          columns.add(k);
        }
      });
    }
    StringBuilder b = new StringBuilder("<div class=\"scroll\"><table><tr>");
    for (String c : columns) {
      b.append("<th>").append(Html.esc(c.replace('_', ' '))).append("</th>");
    }
    b.append("</tr>");
    for (JsonNode r : rows) {
      b.append("<tr>");
      for (String c : columns) {
        JsonNode v = r.get(c);
        if (v == null || v.isNull()) {
          b.append("<td></td>");
        } else if (v.isTextual() && v.asText().endsWith(".png") && Files.isRegularFile(dir.resolve(v.asText()))) {
          String h = Html.href(dirName + "/" + v.asText());
          b.append("<td><a href=\"").append(h).append("\"><img class=\"thumb\" src=\"").append(h).append("\" alt=\"")
              .append(Html.esc(v.asText())).append("\"></a></td>");
        } else if (v.isTextual() && v.asText().endsWith(".npy") && Files.isRegularFile(dir.resolve(v.asText()))) {
          b.append("<td><a href=\"").append(Html.href(dirName + "/" + v.asText())).append("\">")
              .append(Html.esc(v.asText())).append("</a></td>");
        } else if (isObjectList(v)) {
          b.append("<td>");
          for (JsonNode item : v) {
            b.append("<div>").append(Html.esc(item.path("class_name").asText(item.toString())))
                .append(item.has("probability") ? " <span class=\"muted\">" + String.format("%.4f",
                    item.get("probability").asDouble()) + "</span>" : "").append("</div>");
          }
          b.append("</td>");
        } else {
          b.append(v.isNumber() ? "<td class=\"num\">" : "<td>").append(Html.esc(format(c, v))).append("</td>");
        }
      }
      b.append("</tr>");
    }
    return b.append("</table></div>").toString();
  }

  private static boolean isObjectList(JsonNode v) {
    return v.isArray() && v.size() > 0 && v.get(0).isObject();
  }

  private static String format(String key, JsonNode v) {
    if (v.isFloatingPointNumber()) {
      double d = v.asDouble();
      if (key.contains("probability")) {
        return String.format("%.4f", d);
      }
      return Math.abs(d) >= 1e4 || (Math.abs(d) < 1e-3 && d != 0) ? String.format("%.3e", d) : String.format("%.4g", d);
    }
    return v.asText();
  }

  /** Snapshots (name_iterNNNN.png) as one strip per name, in iteration order. */
  private static String strips(Path dir, String dirName) throws IOException {
    Map<String, TreeMap<Integer, String>> byStem = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Matcher mt = SNAPSHOT.matcher(f.getFileName().toString());
        if (mt.matches()) {
          byStem.computeIfAbsent(mt.group(1), k -> new TreeMap<>()).put(Integer.parseInt(mt.group(2)), f.getFileName().toString());
        }
      }
    }
    if (byStem.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder("<h3>snapshots</h3>");
    byStem.forEach((stem, shots) -> {
      b.append("<div class=\"muted\">").append(Html.esc(stem.replace('_', ' '))).append("</div><div class=\"strip\">");
      shots.forEach((it, file) -> b.append("<figure><a href=\"").append(Html.href(dirName + "/" + file))
          .append("\"><img src=\"").append(Html.href(dirName + "/" + file)).append("\" alt=\"").append(Html.esc(stem))
          .append(" at iteration ").append(it).append("\"></a><figcaption>iteration ").append(it)
          .append("</figcaption></figure>"));
      b.append("</div>");
    });
    return b.toString();
  }

  private static String files(Path dir, String dirName) throws IOException {
    List<String> links = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f : s.sorted().toList()) {
        String n = f.getFileName().toString();
        if (n.endsWith(".npy") || n.equals("results.json")) {
          links.add("<a href=\"" + Html.href(dirName + "/" + n) + "\">" + Html.esc(n) + "</a>");
        }
      }
    }
    return links.isEmpty() ? "" : "<p class=\"files\">Raw data: " + String.join(", ", links) + "</p>";
  }
}

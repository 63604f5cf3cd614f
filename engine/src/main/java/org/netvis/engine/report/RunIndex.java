package org.netvis.engine.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Writes index.html over a directory of runs: one row per run, newest first, with a thumbnail. */
public final class RunIndex {
  public static final String FILE = "index.html";
  private static final ObjectMapper JSON = new ObjectMapper();

  private RunIndex() {}

  private record Row(Path dir, JsonNode manifest) {
    String started() {
      return manifest.path("started").asText("");
    }
  }

  public static Path write(Path runsDir) throws IOException {
    if (!Files.isDirectory(runsDir)) {
      throw new IOException(runsDir + " is not a directory of runs");
    }
    List<Row> rows = new ArrayList<>();
    try (Stream<Path> s = Files.list(runsDir)) {
      for (Path d : s.filter(p -> Files.isRegularFile(p.resolve("manifest.json"))).toList()) {
        rows.add(new Row(d, JSON.readTree(d.resolve("manifest.json").toFile())));
        if (!Files.exists(d.resolve(RunReport.FILE))) {
          RunReport.write(d);
        }
      }
    }
    rows.sort(Comparator.comparing(Row::started).reversed());
    StringBuilder b = new StringBuilder("<header><p class=\"muted\">netvis</p><h1>Runs in ")
        .append(Html.esc(runsDir.toAbsolutePath().normalize().getFileName())).append("</h1><p class=\"muted\">")
        .append(rows.size()).append(rows.size() == 1 ? " run" : " runs").append(", newest first</p></header>");
    b.append("<div class=\"scroll\"><table><tr><th></th><th>name</th><th>date (UTC)</th><th>status</th><th>model</th>"
        + "<th>steps</th><th>seconds</th></tr>");
    for (Row r : rows) {
      String dir = r.dir().getFileName().toString();
      JsonNode m = r.manifest();
      String status = m.path("status").asText("unknown");
      List<String> steps = new ArrayList<>();
      m.path("steps").forEach(s -> steps.add(s.path("technique").asText()));
      String thumb = thumbnail(r.dir(), m);
      b.append("<tr><td>");
      if (thumb != null) {
        b.append("<a href=\"").append(Html.href(dir + "/" + RunReport.FILE)).append("\"><img class=\"thumb\" src=\"")
            .append(Html.href(dir + "/" + thumb)).append("\" alt=\"").append(Html.esc(dir)).append("\"></a>");
      }
      b.append("</td><td><a href=\"").append(Html.href(dir + "/" + RunReport.FILE)).append("\">")
          .append(Html.esc(m.at("/experiment/name").asText(dir))).append("</a><div class=\"muted\"><code>")
          .append(Html.esc(dir)).append("</code></div></td><td>").append(Html.esc(r.started().replace('T', ' ')
              .replaceAll("\\.\\d+Z$", "Z"))).append("</td><td><span class=\"status status-").append(Html.esc(status))
          .append("\">").append(Html.esc(status)).append("</span></td><td>").append(Html.esc(m.at("/model/id").asText("")))
          .append("</td><td>").append(Html.esc(String.join(", ", steps))).append("</td><td class=\"num\">")
          .append(m.has("duration_seconds") ? String.format("%.1f", m.get("duration_seconds").asDouble()) : "")
          .append("</td></tr>");
    }
    b.append("</table></div>");
    Path out = runsDir.resolve(FILE);
    Files.writeString(out, Html.page("netvis runs", b.toString()), StandardCharsets.UTF_8);
    return out;
  }

  /** The first step figure (or any PNG) of a run, as a path relative to the run directory. */
  private static String thumbnail(Path runDir, JsonNode m) throws IOException {
    for (JsonNode s : m.path("steps")) {
      String d = s.path("directory").asText(null);
      if (d != null && Files.exists(runDir.resolve(d).resolve("figure.png"))) {
        return d + "/figure.png";
      }
    }
    for (JsonNode s : m.path("steps")) {
      String d = s.path("directory").asText(null);
      if (d != null && Files.isDirectory(runDir.resolve(d))) {
        try (Stream<Path> f = Files.list(runDir.resolve(d))) {
          var png = f.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png")).sorted().findFirst();
          if (png.isPresent()) {
            return d + "/" + png.get();
          }
        }
      }
    }
    return null;
  }
}

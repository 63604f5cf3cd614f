package org.netvis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.testing.SharedData;

/**
 * Opens real run reports and the runs index in headless Chromium (Debian's, driven by
 * playwright-core; {@code bash .ci/run} installs both): every image loads, no console errors, no
 * request leaves the run directory, no sideways scrolling at phone width. Screenshots go to
 * cli/target/report-screenshots/.
 */
class ReportBrowserTest {
  @TempDir Path dir;

  static Path browserDir() {
    return Path.of(System.getProperty("netvis.repo.root")).resolve("cli/src/test/browser");
  }

  static JsonNode check(Path page, Path root, String shotName) throws Exception {
    Path script = browserDir().resolve("check-page.mjs");
    assertTrue(Files.isDirectory(browserDir().resolve("node_modules/playwright-core")),
        "playwright-core is not installed: run 'npm ci --prefix cli/src/test/browser' (bash .ci/run does)");
    assertTrue(Files.isExecutable(Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"))),
        "Chromium is not installed: 'apt-get install chromium' (bash .ci/run does)");
    Path shots = Files.createDirectories(Path.of(System.getProperty("netvis.repo.root")).resolve("cli/target/report-screenshots"));
    Process p = new ProcessBuilder("node", script.toString(), page.toString(), root.toString(),
        shots.resolve(shotName).toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "the browser check ran: " + out);
    JsonNode r = new ObjectMapper().readTree(out);
    System.out.printf("%s: %d images, %d requests, console errors %s, outside requests %s, phone overflow %d px%n",
        page.getFileName(), r.get("images").size(), r.get("requests").asInt(), r.get("consoleErrors"),
        r.get("outsideRequests"), r.get("phoneOverflow").asInt());
    assertTrue(r.get("images").size() > 0, "the page shows images");
    for (JsonNode img : r.get("images")) {
      assertTrue(img.get("naturalWidth").asInt() > 0, "image loaded: " + img);
    }
    assertEquals(0, r.get("consoleErrors").size(), r.get("consoleErrors").toString());
    assertEquals(0, r.get("outsideRequests").size(), r.get("outsideRequests").toString());
    assertTrue(r.get("phoneOverflow").asInt() <= 0, "no sideways scrolling on a phone: " + r.get("phoneOverflow"));
    return r;
  }

  private Path experiment(String name, String steps) throws Exception {
    Path images = SharedData.root().resolve("images");
    Path f = dir.resolve(name + ".yaml");
    Files.writeString(f, "name: " + name + "\nmodel: squeezenet1_1\ndevice: cpu\nseed: 1\ninputs: ['"
        + images.resolve("00_hay.png") + "', '" + images.resolve("chelsea.png") + "']\nsteps:\n" + steps);
    return f;
  }

  @Test
  void runReportsAndTheIndexWorkInABrowser() throws Exception {
    Path runs = dir.resolve("runs");
    Path full = experiment("report-check", """
          - technique: saliency
          - technique: fooling
            params: {target: 6, max_iterations: 20}
          - technique: class-visualization
            params: {targets: [187, 683], num_iterations: 4, show_every: 2}
        """);
    CliTest.Run a = CliTest.run("run", full.toString(), "--out", runs.resolve("20261128T000001Z-report-check").toString());
    assertEquals(0, a.status(), a.err());
    Path small = experiment("saliency-only", "  - technique: saliency\n    params: {objective: cross_entropy}\n");
    CliTest.Run b = CliTest.run("run", small.toString(), "--out", runs.resolve("20261128T000002Z-saliency-only").toString());
    assertEquals(0, b.status(), b.err());

    Path report = runs.resolve("20261128T000001Z-report-check/report.html");
    String html = Files.readString(report);
    for (String s : new String[] {"report-check", "succeeded", "squeezenet1_1", "CPUExecutionProvider", "stingray",
        "Yorkshire terrier", "iteration 2", "target probability", "perturbation l2", "saliency.npy", "results.json",
        "hot colour map"}) {
      assertTrue(html.contains(s), "the report shows " + s);
    }
    JsonNode r = check(report, report.getParent(), "run-report");
    // Legend, two figures, two heat maps, two class images, four snapshots (iterations 2 and 4).
    assertEquals(11, r.get("images").size(), "figures, heat maps and snapshots");

    // The page still works once the run directory is copied elsewhere.
    Path copy = dir.resolve("elsewhere/copied-run");
    Files.createDirectories(copy.getParent());
    copyTree(report.getParent(), copy);
    check(copy.resolve("report.html"), copy, "copied-report");

    CliTest.Run idx = CliTest.run("report", runs.toString());
    assertEquals(0, idx.status(), idx.err());
    Path index = runs.resolve("index.html");
    String indexHtml = Files.readString(index);
    assertTrue(indexHtml.indexOf("saliency-only") < indexHtml.indexOf("report-check"), "newest first");
    JsonNode ir = check(index, runs, "index");
    assertEquals(2, ir.get("images").size(), "one thumbnail per run");
  }

  @Test
  void aFailedRunStillGetsAReportThatWorks() throws Exception {
    // The engine's test technique test-fail throws when it runs, after saliency has completed.
    Path f = experiment("fails", "  - technique: saliency\n  - technique: test-fail\n    params: {message: 'no luck'}\n");
    Path runDir = dir.resolve("failed-run");
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", runDir.toString());
    assertEquals(1, r.status(), r.out() + r.err());
    String html = Files.readString(runDir.resolve("report.html"));
    assertTrue(html.contains("status-failed") && html.contains("no luck"), html);
    assertTrue(html.contains("0-saliency/figure.png"), "the completed step is shown");
    check(runDir.resolve("report.html"), runDir, "failed-report");
  }

  private static void copyTree(Path from, Path to) throws Exception {
    List<Path> all;
    try (var s = Files.walk(from)) {
      all = new ArrayList<>(s.toList());
    }
    for (Path p : all) {
      Path target = to.resolve(from.relativize(p).toString());
      if (Files.isDirectory(p)) {
        Files.createDirectories(target);
      } else {
        Files.copy(p, target);
      }
    }
  }
}

package org.netvis.engine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a step's results.json holds reaches its report: the layer a method explained among them. */
class RunReportTest {
  @TempDir Path run;

  @Test
  void aMethodsLayerIsShownOnOneLineInTheStepAndInTheMethodsTable() throws Exception {
    Files.writeString(run.resolve("manifest.json"), "{\"experiment\": {\"name\": \"layers\"}, \"status\": \"succeeded\","
        + " \"steps\": [{\"index\": 0, \"technique\": \"grad-cam\", \"status\": \"succeeded\", \"seconds\": 1.5,"
        + " \"seed\": 7, \"directory\": \"0-grad-cam\"}, {\"index\": 1, \"technique\": \"infidelity\","
        + " \"status\": \"succeeded\", \"seconds\": 2.5, \"seed\": 8, \"directory\": \"1-infidelity\"}]}");
    String layer = "{\"tensor\": \"/norm/LayerNormalization_output_0\", \"shape\": [-1, 7, 7, 192],"
        + " \"layout\": \"NHWC\", \"chosen\": \"default\"}";
    Files.createDirectories(run.resolve("0-grad-cam"));
    Files.writeString(run.resolve("0-grad-cam/results.json"), "{\"method\": \"grad-cam\", \"layer\": " + layer + "}");
    Files.createDirectories(run.resolve("1-infidelity"));
    Files.writeString(run.resolve("1-infidelity/results.json"), "{\"metric\": \"infidelity\", \"methods\":"
        + " {\"grad-cam\": {\"layer\": " + layer + ", \"mean\": 0.25}}}");

    String html = Files.readString(RunReport.write(run));

    String line = "tensor /norm/LayerNormalization_output_0; shape [-1, 7, 7, 192]; layout NHWC; chosen default";
    assertTrue(html.contains("<tr><th>layer</th><td>" + line + "</td></tr>"), html);
    int methods = html.indexOf("<h3>methods</h3>");
    assertTrue(methods > 0 && html.indexOf(line, methods) > methods, "the methods table shows the layer: " + html);
    assertEquals(2, html.split(java.util.regex.Pattern.quote(line), -1).length - 1, html);
  }
}

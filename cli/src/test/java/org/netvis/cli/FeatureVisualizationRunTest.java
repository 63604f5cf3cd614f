package org.netvis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.netvis.engine.testing.SharedData;

/** feature-visualization, feature-grid and deep-dream through `netvis run`, on other families and with bad input. */
class FeatureVisualizationRunTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
      "vit_tiny-random, /encoder/layers/encoder_layer_2/Add_1_output_0",
      "convnext_tiny_mini-random, /features/features.3/features.3.0/block/block.0/Conv_output_0"})
  void unitsNamedByTensorRenderOnTransformersAndConvNeXt(String fixture, String layer) throws Exception {
    Path f = dir.resolve(fixture + ".yaml");
    Files.writeString(f, "name: units\nmodel: " + SharedData.fixture(fixture) + "\ninputs: ["
        + SharedData.fixtureRef(fixture).resolve("input.npy") + "]\nsteps:\n"
        + "  - technique: feature-visualization\n    params:\n      steps: 6\n      snapshots: [3]\n      objective:\n"
        + "        - {channel: {layer: " + layer + ", index: 7}, image: 0}\n"
        + "        - {neuron: {layer: " + layer + ", index: 7}, image: 1}\n"
        + "        - {layer: " + layer + ", image: 2}\n"
        + "        - {class: 3, image: 3}\n"
        + "        - {diversity: " + layer + ", weight: -10}\n"
        + "        - {l2: 1.0e-3, weight: -1}\n"
        + "  - {technique: feature-grid, params: {layer: " + layer + ", channels: 3, steps: 3, batch_size: 2}}\n"
        + "  - {technique: deep-dream, params: {layer: " + layer + ", octaves: 2, iterations: 2}}\n");
    Path out = dir.resolve(fixture);
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", out.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    JsonNode fv = new ObjectMapper().readTree(out.resolve("0-feature-visualization/results.json").toFile());
    assertEquals(4, fv.get("images").size());
    for (JsonNode image : fv.get("images")) {
      assertTrue(Double.isFinite(image.get("objective").asDouble()), image.toString());
      assertTrue(Files.isRegularFile(out.resolve("0-feature-visualization").resolve(image.get("image").asText())));
      assertEquals(1, image.get("snapshots").size());
    }
    org.netvis.engine.tensor.Tensor images = org.netvis.engine.tensor.Npy.readTensor(
        out.resolve("0-feature-visualization/images.npy"));
    assertEquals(4, images.dim(0));
    for (float v : images.data()) {
      assertTrue(v >= 0 && v <= 1, "a pixel outside [0, 1]: " + v);
    }
    JsonNode grid = new ObjectMapper().readTree(out.resolve("1-feature-grid/results.json").toFile());
    assertEquals(3, grid.get("channels").size());
    assertTrue(Files.isRegularFile(out.resolve("1-feature-grid/figure.png")));
    JsonNode dream = new ObjectMapper().readTree(out.resolve("2-deep-dream/results.json").toFile());
    assertEquals(3, dream.get("images").size());
    for (JsonNode image : dream.get("images")) {
      assertEquals(2, image.get("frames").size());
      assertTrue(Double.isFinite(image.get("objective_after").asDouble()), image.toString());
    }
    String report = Files.readString(out.resolve("report.html"));
    assertTrue(report.contains("1-feature-grid/figure.png") && report.contains("2-deep-dream/figure.png"));
  }

  @Test
  void deepDreamRaisesTheLayerObjectiveOnSqueezeNet() throws Exception {
    Path f = dir.resolve("dream.yaml");
    Files.writeString(f, "name: dream\nmodel: squeezenet1_1\ninputs: [" + SharedData.root().resolve("images/00_hay.png")
        + "]\nsteps:\n  - {technique: deep-dream, params: {layer: /features/features.7/Concat_output_0}}\n");
    Path out = dir.resolve("dream");
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", out.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    JsonNode image = new ObjectMapper().readTree(out.resolve("0-deep-dream/results.json").toFile()).at("/images/0");
    double before = image.get("objective_before").asDouble();
    double after = image.get("objective_after").asDouble();
    System.out.printf("deep dream on 00_hay: mean square of fire 7 %.1f -> %.1f%n", before, after);
    assertTrue(after > 2 * before, before + " -> " + after);
    assertEquals(4, image.get("frames").size());
    org.netvis.engine.tensor.Tensor dream = org.netvis.engine.tensor.Npy.readTensor(out.resolve("0-deep-dream/dreams.npy"));
    assertEquals(224, dream.dim(3));
  }

  @Test
  void badUnitsAreRefusedBeforeAnyStepRuns() throws Exception {
    Path f = dir.resolve("bad-units.yaml");
    Files.writeString(f, "name: bad\nmodel: squeezenet1_1\ninputs: [" + SharedData.root().resolve("images/00_hay.png")
        + "]\nsteps:\n"
        + "  - {technique: feature-visualization, params: {objective: [{channel: {layer: /features/features.12/Concat,"
        + " index: 1}}]}}\n"
        + "  - {technique: feature-visualization, params: {objective: [{neuron: {layer:"
        + " /features/features.12/Concat_output_0, index: 600}}]}}\n"
        + "  - {technique: feature-grid, params: {layer: /features/features.3/Concat_output_0, channels: 129}}\n"
        + "  - {technique: deep-dream, params: {layer: fire9}}\n");
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", dir.resolve("never").toString());
    assertEquals(1, r.status());
    for (String expected : new String[] {
        "steps[0].params: objective[0].channel.layer: '/features/features.12/Concat' is not a tensor of squeezenet1_1;"
            + " nearest names: /features/features.12/Concat_output_0",
        "`netvis layers squeezenet1_1` lists the 65 tensors on it",
        "steps[1].params: objective[0].neuron.index: 600 is beyond the 512 channels of '/features/features.12/Concat_output_0'",
        "steps[2].params: channels: 129 is more than the 128 channels",
        "steps[3].params: layer: 'fire9' is not a tensor of squeezenet1_1"}) {
      assertTrue(r.err().contains(expected), expected + " in " + r.err());
    }
    assertTrue(!Files.exists(dir.resolve("never").resolve("0-feature-visualization/results.json")), "a step ran");
  }

  @Test
  void tensorsOffTheGradientPathAndAbsurdStepCountsAreRefused() throws Exception {
    Path f = dir.resolve("bad-path.yaml");
    Files.writeString(f, "name: bad\nmodel: " + SharedData.fixture("vit_tiny-random") + "\nsteps:\n"
        + "  - {technique: feature-visualization, params: {objective: [{layer: /Shape_output_0}]}}\n");
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", dir.resolve("never").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("objective[0].layer: '/Shape_output_0' is a tensor of vit_tiny-random but not on its"
        + " gradient path"), r.err());

    Path g = dir.resolve("bad-steps.yaml");
    Files.writeString(g, "name: bad\nmodel: squeezenet1_1\nsteps:\n"
        + "  - {technique: feature-visualization, params: {steps: -5, objective: [{class: 1}]}}\n"
        + "  - {technique: feature-grid, params: {layer: x, steps: 1000000000}}\n");
    r = CliTest.run("run", g.toString(), "--out", dir.resolve("never").toString());
    assertEquals(1, r.status());
    for (String expected : new String[] {"steps[0].params.steps: -5 is out of range",
        "steps[1].params.steps: 1000000000 is out of range"}) {
      assertTrue(r.err().contains(expected), expected + " in " + r.err());
    }
  }
}

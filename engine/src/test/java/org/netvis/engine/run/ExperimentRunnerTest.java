package org.netvis.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.experiment.Experiment;
import org.netvis.engine.experiment.ExperimentLoader;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.testing.ExternalDataFiles;
import org.netvis.engine.testing.TinyExperiment;

class ExperimentRunnerTest {
  @TempDir Path dir;
  TinyExperiment tiny;
  PluginRegistry plugins;
  ExperimentLoader loader;
  ExperimentRunner runner;

  @BeforeEach
  void setUp() throws Exception {
    tiny = new TinyExperiment(dir);
    plugins = TinyExperiment.plugins();
    loader = new ExperimentLoader(plugins, TinyExperiment.emptyModels(dir));
    runner = new ExperimentRunner(plugins, TinyExperiment.emptyModels(dir), RunLog.NONE, false,
        EngineOptions.defaults().withCompanionCache(dir.resolve("graphs")));
  }

  private Experiment twoSteps() throws Exception {
    return loader.load(tiny.yaml("e.yaml", "  - technique: test-noise\n    params: {count: 5}\n"
        + "  - technique: test-noise\n    images: [2]\n"), List.of());
  }

  @Test
  void runDirectoryLayoutAndManifest() throws Exception {
    Path out = dir.resolve("runs/first");
    RunOutcome o = runner.run(twoSteps(), out);
    assertEquals("succeeded", o.status(), o.reason());
    assertEquals(out, o.directory());
    // run.log comes from the RunLog the command line supplies (checked in the CLI tests).
    assertEquals(List.of("0-test-noise", "1-test-noise", "experiment.resolved.json", "manifest.json", "report.html"),
        listing(out));
    JsonNode m = ExperimentRunner.JSON.readTree(out.resolve("manifest.json").toFile());
    for (String field : List.of("netvis", "java", "os", "cpu", "experiment", "started", "ended", "runtime", "model",
        "inputs", "labels", "gradient_graph", "seeds", "steps", "status", "duration_seconds")) {
      assertTrue(m.has(field), "manifest has " + field + ": " + m);
    }
    assertTrue(m.at("/netvis/git_commit").asText().matches("[0-9a-f]{40}|unknown.*"), m.at("/netvis").toString());
    assertEquals("CPUExecutionProvider", m.at("/runtime/execution_provider").asText());
    assertTrue(m.at("/runtime/onnxruntime_version").asText().startsWith("1."));
    // ONNX Runtime's idle threads sleep unless NETVIS_ORT_SPINNING=1 asks for its own default.
    assertTrue(m.at("/runtime/intra_op_spinning").isBoolean(), m.at("/runtime").toString());
    assertEquals("1".equals(System.getenv("NETVIS_ORT_SPINNING")), m.at("/runtime/intra_op_spinning").asBoolean());
    // On the CPU, larger gradient batches run in parts of 8 unless NETVIS_GRADIENT_BATCH says otherwise.
    if (System.getenv("NETVIS_GRADIENT_BATCH") == null) {
      assertEquals(8, m.at("/runtime/gradient_batch").asInt(), m.at("/runtime").toString());
    }
    // glibc's tunables as this process started with them (the launcher sets malloc's).
    assertEquals(System.getenv("GLIBC_TUNABLES"), m.at("/runtime/glibc_tunables").textValue(),
        m.at("/runtime").toString());
    if (System.getenv("NETVIS_FIXED_BATCH_SESSIONS") == null) {
      assertFalse(m.at("/runtime/fixed_batch_sessions").asBoolean(), m.at("/runtime").toString());
    }
    // The tiny model has no LRN: its forward pass runs the model as written.
    assertEquals("as written", m.at("/runtime/forward_pass").asText(), m.at("/runtime").toString());
    assertEquals(64, m.at("/model/sha256").asText().length());
    assertEquals(64, m.at("/gradient_graph/sha256").asText().length());
    assertEquals(64, m.at("/inputs/0/sha256").asText().length());
    assertEquals(7, m.at("/seeds/experiment").asLong());
    assertEquals(Seeds.forStep(7, 1), m.at("/seeds/steps/1").asLong());
    assertEquals("succeeded", m.at("/steps/1/status").asText());
    for (JsonNode step : m.get("steps")) {
      // Each step's time: inside ONNX Runtime's runs, loading its sessions, and the rest (netvis' own).
      double seconds = step.get("seconds").asDouble();
      double inside = step.get("onnxruntime_seconds").asDouble() + step.get("onnxruntime_load_seconds").asDouble();
      assertTrue(step.get("onnxruntime_seconds").asDouble() > 0, "test-noise runs a forward pass: " + step);
      assertTrue(inside <= seconds, step.toString());
      assertEquals(1 - inside / seconds, step.get("outside_onnxruntime_share").asDouble(), 1e-9, step.toString());
    }
    JsonNode results = ExperimentRunner.JSON.readTree(out.resolve("1-test-noise/results.json").toFile());
    assertEquals(1, results.get("images").asInt(), "step 1 sees only image 2");
    assertEquals(List.of("noise.npy", "scores.npy"),
        List.of(results.get("files").get(0).asText(), results.get("files").get(1).asText()));
    JsonNode resolved = ExperimentRunner.JSON.readTree(out.resolve("experiment.resolved.json").toFile());
    assertEquals(5, resolved.at("/steps/0/params/count").asInt());
    assertFalse(Files.exists(dir.resolve("runs/.first.partial")), "no temporary directory is left");
  }

  private static List<String> listing(Path out) throws Exception {
    try (Stream<Path> s = Files.list(out)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("run.log")).sorted().toList();
    }
  }

  @Test
  void anExperimentWithoutInputsRunsItsSelfContainedSteps() throws Exception {
    Experiment e = loader.load(tiny.write("self.yaml", "name: self\nmodel: tiny.onnx\nseed: 7\n"
        + "steps: [{technique: test-self-contained}]\n"), List.of());
    Path out = dir.resolve("runs/self");
    RunOutcome o = runner.run(e, out);
    assertEquals("succeeded", o.status(), o.reason());
    JsonNode results = ExperimentRunner.JSON.readTree(out.resolve("0-test-self-contained/results.json").toFile());
    assertEquals(0, results.get("images_seen").asInt());
    JsonNode m = ExperimentRunner.JSON.readTree(out.resolve("manifest.json").toFile());
    assertEquals(0, m.get("inputs").size());
    assertEquals("NCHW", m.at("/model/input_layout").asText());
  }

  @Test
  void aModelWithExternalDataRecordsEachDataFilesDigest() throws Exception {
    RunOutcome inside = runner.run(twoSteps(), dir.resolve("runs/inside"));
    assertEquals("succeeded", inside.status(), inside.reason());
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(tiny.model));
    Files.write(tiny.model, ExternalDataFiles.externalize(m, dir, "weights/tiny.data").toByteArray());
    Path out = dir.resolve("runs/outside");
    RunOutcome o = runner.run(twoSteps(), out);
    assertEquals("succeeded", o.status(), o.reason());
    JsonNode manifest = ExperimentRunner.JSON.readTree(out.resolve("manifest.json").toFile());
    JsonNode record = manifest.get("model");
    assertEquals(Sha256.of(tiny.model), record.get("sha256").asText());
    assertEquals(Sha256.of(dir.resolve("weights/tiny.data")), record.at("/external_data/weights~1tiny.data").asText(),
        record.toString());
    assertTrue(record.get("weights").asText().endsWith("read from weights/tiny.data beside the model file"),
        record.toString());
    // The same values, so the same arrays as with every value inside the model file.
    for (String step : List.of("0-test-noise", "1-test-noise")) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(
          Files.readAllBytes(dir.resolve("runs/inside").resolve(step).resolve("scores.npy")),
          Files.readAllBytes(out.resolve(step).resolve("scores.npy")), step);
    }
  }

  @Test
  void twoRunsWithOneSeedGiveIdenticalArrays() throws Exception {
    runner.run(twoSteps(), dir.resolve("a"));
    runner.run(loader.load(dir.resolve("a/experiment.resolved.json"), List.of()), dir.resolve("b"));
    RunComparison c = RunComparison.of(dir.resolve("a"), dir.resolve("b"));
    assertEquals(4, c.identical().size(), c.toString());
    assertTrue(c.allIdentical(), c.toString());
    // Another seed changes the noise.
    runner.run(loader.load(dir.resolve("e.yaml"), List.of("seed=8")), dir.resolve("c"));
    assertTrue(RunComparison.of(dir.resolve("a"), dir.resolve("c")).different().contains("0-test-noise/noise.npy"));
  }

  @Test
  void aStepThatThrowsLeavesStatusFailedAndEarlierStepsIntact() throws Exception {
    Experiment e = loader.load(tiny.yaml("f.yaml", "  - technique: test-noise\n  - technique: test-fail\n"
        + "  - technique: test-noise\n"), List.of());
    RunOutcome o = runner.run(e, dir.resolve("failed"));
    assertEquals("failed", o.status());
    assertEquals("step 1 (test-fail) failed: boom", o.reason());
    Path out = dir.resolve("failed");
    assertTrue(Files.isRegularFile(out.resolve("0-test-noise/noise.npy")));
    assertEquals(4, Npy.read(out.resolve("0-test-noise/noise.npy")).numel() / 3);
    assertFalse(Files.exists(out.resolve("1-test-fail")), "the failed step leaves nothing half-written");
    assertFalse(Files.exists(out.resolve("2-test-noise")), "later steps do not run");
    JsonNode m = ExperimentRunner.JSON.readTree(out.resolve("manifest.json").toFile());
    assertEquals("failed", m.get("status").asText());
    assertEquals("step 1 (test-fail) failed: boom", m.get("reason").asText());
    assertEquals("failed", m.at("/steps/1/status").asText());
    assertEquals(2, m.get("steps").size());
  }

  @Test
  void imageSelectionsOutsideTheInputsFailTheRunBeforeAnyStep() throws Exception {
    Experiment e = loader.load(tiny.yaml("sel.yaml", "  - technique: test-noise\n  - technique: test-noise\n"
        + "    images: [0, 3]\n  - technique: test-noise\n    images: [7]\n"), List.of());
    RunOutcome o = runner.run(e, dir.resolve("selection"));
    assertEquals("failed", o.status());
    // Both selections reported at once, against the three images of the inputs.
    assertTrue(o.reason().contains("steps[1].images[1]: image 3 does not exist (expected 0 to 2: the experiment has 3 images)"),
        o.reason());
    assertTrue(o.reason().contains("steps[2].images[0]: image 7 does not exist"), o.reason());
    assertFalse(Files.exists(dir.resolve("selection/0-test-noise")), "no step ran");
    JsonNode m = ExperimentRunner.JSON.readTree(dir.resolve("selection/manifest.json").toFile());
    assertEquals(0, m.get("steps").size());
  }

  @Test
  void aNonEmptyOutputDirectoryIsRefused() throws Exception {
    Files.createDirectories(dir.resolve("taken"));
    Files.writeString(dir.resolve("taken/file"), "x");
    RunException e = assertThrows(RunException.class, () -> runner.run(twoSteps(), dir.resolve("taken")));
    assertEquals("output directory " + dir.resolve("taken") + " already exists and is not empty", e.getMessage());
  }

  @Test
  void aSecondRunOnTheSameOutputIsRefusedWhileTheFirstHoldsIt() throws Exception {
    Path out = dir.resolve("busy");
    Path lock = dir.resolve(".busy.lock");
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(lock,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
      // Another process would hold this lock; within one JVM the overlapping lock is detected too.
      try (java.nio.channels.FileLock held = ch.lock()) {
        RunException e = assertThrows(RunException.class, () -> runner.run(twoSteps(), out));
        assertTrue(e.getMessage().startsWith("another run is writing to " + out), e.getMessage());
      }
    }
    assertFalse(Files.exists(out));
  }

  @Test
  void labelsDefaultToTheModelsTopOnePrediction() throws Exception {
    RunOutcome o = runner.run(twoSteps(), dir.resolve("labels"));
    JsonNode m = ExperimentRunner.JSON.readTree(o.directory().resolve("manifest.json").toFile());
    float[] scores = Npy.readTensor(o.directory().resolve("0-test-noise/scores.npy")).data();
    for (int i = 0; i < 3; i++) {
      int best = 0;
      for (int c = 1; c < 5; c++) {
        best = scores[i * 5 + c] > scores[i * 5 + best] ? c : best;
      }
      assertEquals(best, m.at("/labels/" + i).asInt());
    }
  }
}

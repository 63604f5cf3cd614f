package org.netvis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `netvis plugins`, `netvis run` and `netvis rerun` on the example experiment, as a user runs them. */
class RunCommandTest {
  @TempDir Path dir;

  static Path repo() {
    return Path.of(System.getProperty("netvis.repo.root"));
  }

  @Test
  void pluginsListsEveryTechniqueWithItsParameters() {
    CliTest.Run r = CliTest.run("plugins");
    assertEquals(0, r.status(), r.err());
    for (String s : new String[] {"saliency", "fooling", "class-visualization", "learning_rate", "max_jitter",
        "blur_sigma", "objective", "class_score | cross_entropy", "default 100", "(required)"}) {
      assertTrue(r.out().contains(s), "lists " + s + ": " + r.out());
    }
  }

  @Test
  void theSeedNotebookRunsAndRerunsIdentically() throws Exception {
    Path out = dir.resolve("notebook");
    CliTest.Run r = CliTest.run("run", repo().resolve("configs/seed-notebook.yaml").toString(), "--out", out.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("succeeded: " + out), r.out());
    for (String f : new String[] {"experiment.resolved.json", "manifest.json", "run.log", "0-saliency/figure.png",
        "0-saliency/saliency.npy", "1-fooling/figure.png", "1-fooling/fooling.npy", "1-fooling/00_difference_x10.png",
        "2-class-visualization/187-Yorkshire_terrier.png", "2-class-visualization/683-oboe_iter0050.png",
        "2-class-visualization/366-gorilla.npy"}) {
      assertTrue(Files.isRegularFile(out.resolve(f)), "run directory holds " + f);
    }
    String log = Files.readString(out.resolve("run.log"));
    assertTrue(log.contains("step 0: saliency") && log.contains("DEBUG"), "run.log has the full log: " + log);
    ObjectMapper json = new ObjectMapper();
    JsonNode fooling = json.readTree(out.resolve("1-fooling/results.json").toFile());
    JsonNode hay = fooling.at("/images/0");
    assertEquals(958, hay.get("source_label").asInt());
    assertTrue(hay.get("fooled").asBoolean());
    assertTrue(Math.abs(hay.get("iterations").asInt() - 9) <= 2, hay.toString());
    assertTrue(hay.has("fooled_after_png") && hay.has("perturbation_linf"), hay.toString());
    JsonNode classes = json.readTree(out.resolve("2-class-visualization/results.json").toFile()).get("classes");
    for (JsonNode c : classes) {
      assertEquals(c.get("target").asInt(), c.get("top1").asInt(), c.toString());
    }

    Path again = dir.resolve("again");
    CliTest.Run rerun = CliTest.run("rerun", out.toString(), "--out", again.toString());
    assertEquals(0, rerun.status(), rerun.out() + rerun.err());
    assertTrue(rerun.out().contains("REPRODUCED") && !rerun.out().contains("NOT REPRODUCED"), rerun.out());
  }

  @Test
  void aMalformedExperimentFailsBeforeLoadingAnythingWithEveryProblem() throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, "name: bad\nmodel: squeezenet1_1\ninputs: [nothing.png]\n"
        + "steps: [{technique: fooling, params: {target: 1000, max_iterations: 0}}]\n");
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", dir.resolve("never").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("netvis: error: " + f + ": 3 problems:"), r.err());
    assertTrue(r.err().contains("steps[0].params.target: 1000 is not a class of the model (expected 0 to 999)"), r.err());
    assertTrue(r.err().contains("steps[0].params.max_iterations: 0 is out of range (expected at least 1 and at most 100000)"), r.err());
    assertTrue(r.err().contains("inputs[0]: input " + dir.resolve("nothing.png") + " does not exist"), r.err());
    assertTrue(Files.notExists(dir.resolve("never")));
  }
}

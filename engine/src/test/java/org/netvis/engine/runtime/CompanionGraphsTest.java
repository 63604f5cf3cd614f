package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.graph.GradientGraph;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.testing.TestGraph;

/** The companion file: saved beside the model, reused while current, rebuilt when stale. */
class CompanionGraphsTest {
  @TempDir Path dir;

  private Path tinyModel(Path where, long seed) throws Exception {
    TestGraph g = new TestGraph(17, seed, 2, -1, -1);
    String out = g.op("Relu", List.of(g.op("Conv", List.of("x", g.random(0.5, 3, 2, 3, 3)))));
    return g.save(where, "tiny", out);
  }

  @Test
  void savedBesideTheModelReusedWhileCurrentAndRebuiltWhenTheModelChanges() throws Exception {
    Path model = tinyModel(dir, 1);
    CompanionGraphs companions = new CompanionGraphs(dir.resolve("cache"));
    String sha = Sha256.of(model);
    CompanionGraphs.Companion first = companions.obtain(model, sha, ModelGraph.read(model), VjpSpec.DEFAULT, 5, 5, true);
    assertEquals(dir.resolve("tiny.vjp.onnx"), first.file());
    assertTrue(first.rebuilt());
    ModelProto saved = ModelProto.parseFrom(Files.readAllBytes(first.file()));
    assertEquals(sha, GradientGraph.metadata(saved, GradientGraph.META_FORWARD_SHA256));

    CompanionGraphs.Companion again = companions.obtain(model, sha, ModelGraph.read(model), VjpSpec.DEFAULT, 5, 5, true);
    assertFalse(again.rebuilt(), "a current companion is reused");
    assertEquals(Sha256.of(first.file()), first.sha256(), "the hash is the file's");
    assertEquals(first.sha256(), again.sha256());

    // Same file name, other weights: the recorded sha256 no longer matches.
    tinyModel(dir, 2);
    String newSha = Sha256.of(model);
    CompanionGraphs.Companion rebuilt = companions.obtain(model, newSha, ModelGraph.read(model), VjpSpec.DEFAULT, 5, 5, true);
    assertTrue(rebuilt.rebuilt(), "a stale companion is rebuilt");
    assertEquals(newSha, GradientGraph.metadata(ModelProto.parseFrom(Files.readAllBytes(rebuilt.file())),
        GradientGraph.META_FORWARD_SHA256));
  }

  @Test
  void withoutCompanionFilesAGraphIsDerivedInMemoryEveryTimeAndNoFileIsReadOrWritten() throws Exception {
    Path model = tinyModel(dir, 1);
    String sha = Sha256.of(model);
    // A current companion beside the model: one that kept files would reuse it.
    new CompanionGraphs(dir.resolve("cache")).obtain(model, sha, ModelGraph.read(model), VjpSpec.DEFAULT, 5, 5, true);
    byte[] beside = Files.readAllBytes(dir.resolve("tiny.vjp.onnx"));
    CompanionGraphs inMemory = new CompanionGraphs(EngineOptions.defaults().withoutCompanionFiles().companionCache());
    CompanionGraphs.Companion c = inMemory.obtain(model, sha, ModelGraph.read(model), VjpSpec.DEFAULT, 7, 9, false);
    assertTrue(c.rebuilt(), "derived, not read");
    assertEquals(null, c.file());
    assertEquals(Sha256.of(c.serialized()), c.sha256(), "the hash is the derived bytes'");
    assertTrue(inMemory.obtain(model, sha, ModelGraph.read(model), VjpSpec.DEFAULT, 5, 5, true).rebuilt(),
        "the saved companion beside the model is not read");
    try (var files = Files.list(dir)) {
      assertEquals(List.of("tiny.onnx", "tiny.vjp.onnx"), files.map(f -> f.getFileName().toString()).sorted()
          .toList(), "no file written");
    }
    assertTrue(java.util.Arrays.equals(beside, Files.readAllBytes(dir.resolve("tiny.vjp.onnx"))));
  }

  @Test
  void otherSizesAndSpecsGetTheirOwnFiles() throws Exception {
    Path model = tinyModel(dir, 1);
    CompanionGraphs companions = new CompanionGraphs(dir.resolve("cache"));
    String sha = Sha256.of(model);
    VjpSpec inner = new VjpSpec(List.of(), List.of(), List.of("x"));
    assertEquals("tiny.vjp.7x9.onnx", companions.obtain(model, sha, ModelGraph.read(model), VjpSpec.DEFAULT, 7, 9, false)
        .file().getFileName().toString());
    assertTrue(companions.obtain(model, sha, ModelGraph.read(model), inner, 5, 5, true)
        .file().getFileName().toString().matches("tiny\\.vjp\\.[0-9a-f]{10}\\.onnx"));
  }

  @Test
  void aReadOnlyModelDirectoryLeavesTheGraphInTheCache() throws Exception {
    Path ro = Files.createDirectories(dir.resolve("ro"));
    Path model = tinyModel(ro, 1);
    Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      CompanionGraphs companions = new CompanionGraphs(dir.resolve("cache"));
      String sha = Sha256.of(model);
      CompanionGraphs.Companion c = companions.obtain(model, sha, ModelGraph.read(model), VjpSpec.DEFAULT, 5, 5, true);
      assertEquals(dir.resolve("cache").resolve(sha.substring(0, 16)).resolve("tiny.vjp.onnx"), c.file());
      assertTrue(Files.notExists(ro.resolve("tiny.vjp.onnx")));
    } finally {
      Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void aForeignFileUnderTheCompanionNameIsReplaced() throws Exception {
    Path model = tinyModel(dir, 1);
    Files.write(dir.resolve("tiny.vjp.onnx"), Files.readAllBytes(model)); // a plain model, no netvis metadata
    CompanionGraphs companions = new CompanionGraphs(dir.resolve("cache"));
    CompanionGraphs.Companion c = companions.obtain(model, Sha256.of(model), ModelGraph.read(model), VjpSpec.DEFAULT, 5, 5, true);
    assertTrue(c.rebuilt());
    assertEquals(null, CompanionGraphs.staleReason(c.file(), Sha256.of(model), VjpSpec.DEFAULT, 5, 5));
  }
}

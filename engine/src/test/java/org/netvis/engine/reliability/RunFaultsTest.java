package org.netvis.engine.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.experiment.ExperimentLoader;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.run.ExperimentRunner;
import org.netvis.engine.run.RunException;
import org.netvis.engine.run.RunLog;
import org.netvis.engine.run.RunOutcome;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.testing.TinyExperiment;

/** Faults during a run: the run ends "failed" with a clear reason and nothing corrupt on disk. */
class RunFaultsTest {
  @TempDir Path dir;
  TinyExperiment tiny;
  ExperimentLoader loader;
  ExperimentRunner runner;

  @BeforeEach
  void setUp() throws Exception {
    tiny = new TinyExperiment(dir);
    PluginRegistry plugins = TinyExperiment.plugins();
    loader = new ExperimentLoader(plugins, TinyExperiment.emptyModels(dir));
    runner = new ExperimentRunner(plugins, TinyExperiment.emptyModels(dir), RunLog.NONE, false,
        EngineOptions.defaults().withCompanionCache(dir.resolve("graphs")));
  }

  private static JsonNode manifest(Path run) throws Exception {
    return ExperimentRunner.JSON.readTree(run.resolve("manifest.json").toFile());
  }

  private static void assertNoLeftovers(Path parent) throws Exception {
    try (var s = Files.list(parent)) {
      List<String> names = s.map(p -> p.getFileName().toString()).toList();
      assertTrue(names.stream().noneMatch(n -> n.endsWith(".partial") || n.endsWith(".lock")), names.toString());
    }
  }

  @Test
  void aFullDiskFailsTheStepAndKeepsTheEarlierOnes() throws Exception {
    Path small = Files.createDirectories(dir.resolve("small"));
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small.toString())
        .redirectErrorStream(true).start();
    String mountOut = new String(mount.getInputStream().readAllBytes());
    assertEquals(0, mount.waitFor(), "this test mounts a 2 MB tmpfs (needs root): " + mountOut);
    try {
      Path run = small.resolve("run");
      RunOutcome o = runner.run(loader.load(tiny.yaml("full.yaml",
          "  - technique: test-noise\n  - technique: test-write\n    params: {bytes: 8000000}\n"
              + "  - technique: test-noise\n"), List.of()), run);
      assertEquals("failed", o.status());
      assertTrue(o.reason().startsWith("step 1 (test-write) failed: ") && o.reason().contains("No space left on device"),
          o.reason());
      assertEquals(run, o.directory());
      assertTrue(Files.isRegularFile(run.resolve("0-test-noise/noise.npy")), "the completed step is intact");
      assertEquals(12, org.netvis.engine.tensor.Npy.read(run.resolve("0-test-noise/noise.npy")).numel());
      assertFalse(Files.exists(run.resolve("1-test-write")), "the failed step's partial output is removed");
      JsonNode m = manifest(run);
      assertEquals("failed", m.get("status").asText());
      assertEquals(o.reason(), m.get("reason").asText());
      assertTrue(Files.isRegularFile(run.resolve("report.html")));
      assertNoLeftovers(small);
    } finally {
      new ProcessBuilder("umount", small.toString()).start().waitFor();
    }
  }

  @Test
  void aPluginWhoseConstructorThrowsIsNamed() throws Exception {
    RunOutcome o = runner.run(loader.load(tiny.yaml("broken.yaml",
        "  - technique: test-noise\n  - technique: test-broken\n"), List.of()), dir.resolve("broken"));
    assertEquals("failed", o.status());
    assertTrue(o.reason().startsWith("technique 'test-broken' from "), o.reason());
    assertTrue(o.reason().contains("could not be created") && o.reason().contains("cannot open its lookup table"), o.reason());
    assertTrue(Files.isRegularFile(dir.resolve("broken/0-test-noise/noise.npy")));
    assertEquals("failed", manifest(dir.resolve("broken")).at("/steps/1/status").asText());
  }

  @Test
  void anOutputDirectoryWithoutWritePermissionIsRefused() throws Exception {
    Path ro = Files.createDirectories(dir.resolve("readonly"));
    Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      RunException e = assertThrows(RunException.class, () -> runner.run(
          loader.load(tiny.yaml("e.yaml", "  - technique: test-noise\n"), List.of()), ro.resolve("run")));
      assertEquals("output directory " + ro + " is not writable (expected a directory with write permission)", e.getMessage());
      try (var s = Files.list(ro)) {
        assertEquals(0, s.count(), "nothing was written");
      }
    } finally {
      Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void aFileThatIsNotAnImageFailsTheRunNamingIt() throws Exception {
    Files.writeString(dir.resolve("notes.png"), "this is text, not a PNG");
    RunOutcome o = runner.run(loader.load(tiny.write("img.yaml", "name: img\nmodel: tiny.onnx\ninputs: [notes.png]\n"
        + "steps: [{technique: test-noise}]\n"), List.of()), dir.resolve("img"));
    assertEquals("failed", o.status());
    assertEquals(dir.resolve("notes.png") + ": not a PNG or JPEG image", o.reason());
    assertNoLeftovers(dir);
  }

  @Test
  void truncatedPngAndJpegAreRefused() throws Exception {
    BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        img.setRGB(x, y, (x * 4) << 16 | (y * 4) << 8 | ((x + y) * 2));
      }
    }
    for (String format : List.of("png", "jpg")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(img, format.equals("jpg") ? "jpeg" : "png", out);
      byte[] bytes = out.toByteArray();
      Path cut = dir.resolve("cut." + format);
      Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
      java.io.IOException e = assertThrows(java.io.IOException.class, () -> org.netvis.engine.image.ImageFiles.read(cut));
      assertTrue(e.getMessage().startsWith(cut + ": "), e.getMessage());
      assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }
  }

  @Test
  void convertedImagesAreNotedInTheManifest() throws Exception {
    BufferedImage gray = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
    ImageIO.write(gray, "png", dir.resolve("gray.png").toFile());
    BufferedImage argb = new BufferedImage(8, 8, BufferedImage.TYPE_INT_ARGB);
    ImageIO.write(argb, "png", dir.resolve("alpha.png").toFile());
    RunOutcome o = runner.run(loader.load(tiny.write("conv.yaml", "name: conv\nmodel: tiny.onnx\n"
        + "inputs: [gray.png, alpha.png]\nsteps: [{technique: test-noise}]\n"), List.of()), dir.resolve("conv"));
    assertEquals("succeeded", o.status(), o.reason());
    JsonNode m = manifest(dir.resolve("conv"));
    assertEquals("grayscale replicated to RGB", m.at("/inputs/0/note").asText());
    assertEquals("alpha channel dropped", m.at("/inputs/1/note").asText());
  }

  @Test
  void anImageOverThePixelLimitIsRefusedBeforeDecoding() throws Exception {
    ImageIO.write(new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB), "png", dir.resolve("big.png").toFile());
    RunOutcome o = runner.run(loader.load(tiny.write("big.yaml", "name: big\nmodel: tiny.onnx\ninputs: [big.png]\n"
        + "max_pixels: 1000\nsteps: [{technique: test-noise}]\n"), List.of()), dir.resolve("big"));
    assertEquals("failed", o.status());
    assertEquals(dir.resolve("big.png") + ": 40x30 = 1200 pixels exceeds the limit of 1000 (raise max_pixels to allow it)",
        o.reason());
  }

  @Test
  void anNpzWithoutXOrWithTheWrongArrayIsRefused() throws Exception {
    Path npz = dir.resolve("data.npz");
    try (var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(npz))) {
      zip.putNextEntry(new java.util.zip.ZipEntry("images.npy"));
      org.netvis.engine.tensor.Npy.write(zip, org.netvis.engine.tensor.NpyArray.of(org.netvis.engine.tensor.Tensor.zeros(1, 3, 8, 8)));
    }
    RunOutcome o = runner.run(loader.load(tiny.write("npz.yaml", "name: npz\nmodel: tiny.onnx\ninputs: [data.npz]\n"
        + "steps: [{technique: test-noise}]\n"), List.of()), dir.resolve("npz"));
    assertEquals("failed", o.status());
    assertEquals(npz + ": .npz archive has no array 'X' (found [images])", o.reason());

    Path wrong = dir.resolve("wrong.npy");
    org.netvis.engine.tensor.Npy.write(wrong, org.netvis.engine.tensor.NpyArray.ofLongs(new long[] {2, 5}, new long[10]));
    RunOutcome w = runner.run(loader.load(tiny.write("wrong.yaml", "name: wrong\nmodel: tiny.onnx\ninputs: [wrong.npy]\n"
        + "steps: [{technique: test-noise}]\n"), List.of()), dir.resolve("wrong"));
    assertEquals(wrong + ": array of dtype int64 and shape [2, 5] is neither uint8 pixels (N, H, W, 3) nor float32 "
        + "model input (N, 3, H, W)", w.reason());
  }
}

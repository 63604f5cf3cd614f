package org.netvis.engine.model;

import org.netvis.engine.download.Downloader;
import org.netvis.engine.download.IntegrityException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.testing.SharedData;

/** Resolution order, integrity checks, the not-found message and downloads. */
class ModelRegistryTest {
  @TempDir Path dir;

  private Path descriptorDir(String download, String downloadSha, String... sha) throws Exception {
    Path d = Files.createDirectories(dir.resolve("descriptors"));
    StringBuilder yaml = new StringBuilder("""
        id: tiny
        description: a test model
        file: tiny.onnx
        """);
    yaml.append("sha256: [").append(String.join(", ", sha)).append("]\n");
    yaml.append("""
        input: {name: x, layout: NCHW, size: 4}
        preprocessing: {resize: 4, crop: 4, color: RGB, scale: 255.0, mean: [0.5, 0.5], std: [0.2, 0.2]}
        classes: {count: 3, names: tiny_classes.txt}
        """);
    if (download != null) {
      yaml.append("obtain: {download: '").append(download).append("', download_sha256: ").append(downloadSha)
          .append(", export: 'python3 export.py'}\n");
    } else {
      yaml.append("obtain: {export: 'python3 export.py'}\n");
    }
    Files.writeString(d.resolve("tiny.yaml"), yaml);
    return d;
  }

  @Test
  void earlierDirectoriesWinAndSubdirectoriesNamedAfterTheIdCount() throws Exception {
    byte[] content = "first".getBytes();
    Path first = Files.createDirectories(dir.resolve("first/tiny"));
    Path second = Files.createDirectories(dir.resolve("second"));
    Files.write(first.resolve("tiny.onnx"), content);
    Files.write(second.resolve("tiny.onnx"), "second".getBytes());
    Files.writeString(first.resolve("tiny_classes.txt"), "a\nb\nc\n");
    Path descriptors = descriptorDir(null, null, Sha256.of(content));
    ModelRegistry r = new ModelRegistry(List.of(descriptors, dir.resolve("first"), second), dir.resolve("cache"),
        new Downloader(false));
    ResolvedModel m = r.resolve("tiny");
    assertEquals(first.resolve("tiny.onnx"), m.path());
    assertEquals(List.of("a", "b", "c"), m.classNames());
    assertEquals("b", m.className(1));
    assertEquals(List.of(0.5, 0.5), m.preprocessing().mean());
  }

  @Test
  void aFileWithAnUnknownSha256IsRefusedWithBothValues() throws Exception {
    Path models = Files.createDirectories(dir.resolve("m"));
    Files.write(models.resolve("tiny.onnx"), "tampered".getBytes());
    Path descriptors = descriptorDir(null, null, "00".repeat(32));
    ModelRegistry r = new ModelRegistry(List.of(descriptors, models), dir.resolve("cache"), new Downloader(false));
    IntegrityException e = assertThrows(IntegrityException.class, () -> r.resolve("tiny"));
    assertTrue(e.getMessage().contains(Sha256.of("tampered".getBytes())), e.getMessage());
    assertTrue(e.getMessage().contains("00".repeat(32)), e.getMessage());
    assertTrue(e.getMessage().contains(models.resolve("tiny.onnx").toString()), e.getMessage());
  }

  @Test
  void notFoundNamesEveryPlaceLookedAndHowToObtainTheFile() throws Exception {
    Path descriptors = descriptorDir(null, null);
    Path cache = dir.resolve("cache");
    ModelRegistry r = new ModelRegistry(List.of(descriptors, cache), cache, new Downloader(false));
    ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> r.resolve("tiny"));
    String msg = e.getMessage();
    for (Path p : List.of(descriptors.resolve("tiny.onnx"), descriptors.resolve("tiny/tiny.onnx"),
        cache.resolve("tiny.onnx"), cache.resolve("tiny/tiny.onnx"))) {
      assertTrue(msg.contains(p.toString()), "message names " + p + ": " + msg);
    }
    assertTrue(msg.contains("python3 export.py") && msg.contains("NETVIS_MODEL_PATH"), msg);
  }

  @Test
  void downloadsIntoTheCacheWithASha256Check() throws Exception {
    byte[] body = "model bytes".getBytes();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/tiny.onnx", ex -> {
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/tiny.onnx";
      Path cache = dir.resolve("cache");
      ModelRegistry good = new ModelRegistry(List.of(descriptorDir(url, Sha256.of(body), Sha256.of(body)), cache),
          cache, new Downloader(false));
      ResolvedModel m = good.resolve("tiny");
      assertEquals(cache.resolve("tiny/tiny.onnx"), m.path());
      assertEquals(Sha256.of(body), m.sha256());

      Path otherCache = dir.resolve("cache2");
      ModelRegistry bad = new ModelRegistry(List.of(descriptorDir(url, "11".repeat(32)), otherCache), otherCache,
          new Downloader(false));
      IntegrityException e = assertThrows(IntegrityException.class, () -> bad.resolve("tiny"));
      assertTrue(e.getMessage().contains("expected " + "11".repeat(32)), e.getMessage());
      assertTrue(Files.notExists(otherCache.resolve("tiny/tiny.onnx")), "a bad download is not kept");
      assertTrue(Files.notExists(otherCache.resolve("tiny/tiny.onnx.part")), "no partial file is left");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aPlainOnnxPathGetsImageNetPreprocessingUnlessToldOtherwise() throws Exception {
    ModelRegistry r = new ModelRegistry(List.of(), dir, new Downloader(false));
    ResolvedModel m = r.resolve(SharedData.squeezenet().toString());
    assertEquals(Preprocessing.IMAGENET, m.preprocessing());
    assertEquals("5b050a17c1c50c3d2125ebd624718795d6c68dc1f5d35d10cbf5b65a8ef5e4b5", m.sha256());
    Preprocessing custom = Preprocessing.IMAGENET.withSize(256);
    assertEquals(256, r.resolve(SharedData.squeezenet().toString(), custom).preprocessing().crop());
  }

  @Test
  void theRepositoryDescriptorResolvesTheSharedModel() throws Exception {
    Path repo = Path.of(System.getProperty("netvis.repo.root"));
    ModelRegistry r = new ModelRegistry(List.of(SharedData.models(), repo.resolve("models")), dir,
        new Downloader(false));
    ResolvedModel m = r.resolve("squeezenet1_1");
    assertEquals(SharedData.squeezenet(), m.path());
    assertEquals(1000, m.classNames().size());
    assertEquals("hay", m.className(958));
    assertEquals(224, m.preprocessing().crop());
  }

  @Test
  void aBrokenDescriptorNamesItsFile() throws Exception {
    Path d = Files.createDirectories(dir.resolve("bad"));
    Files.writeString(d.resolve("broken.yaml"), "id: x\nfile: x.onnx\nunexpected_key: 1\n");
    java.io.IOException e = assertThrows(java.io.IOException.class, () -> ModelRegistry.readDescriptor(d.resolve("broken.yaml")));
    assertTrue(e.getMessage().contains("broken.yaml") && e.getMessage().contains("unexpected_key"), e.getMessage());
  }

  /** The shipped descriptors read, and those that download name the sha256 they also accept. */
  @Test
  void everyShippedDescriptorReadsAndChecksWhatItDownloads() throws Exception {
    Path models = Path.of(System.getProperty("netvis.repo.root", "..")).resolve("models");
    List<Path> files;
    try (var s = Files.list(models)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertTrue(files.size() >= 5, files.toString());
    for (Path f : files) {
      ModelDescriptor d = ModelRegistry.readDescriptor(f);
      assertEquals(f.getFileName().toString(), d.id() + ".yaml");
      if (d.obtain() != null && d.obtain().download() != null) {
        assertTrue(d.obtain().download().startsWith("https://"), d.obtain().download());
        assertTrue(d.sha256().contains(d.obtain().downloadSha256()), d.id() + ": " + d.sha256());
      }
      assertEquals(3, d.preprocessing().mean().size(), d.id());
    }
  }
}

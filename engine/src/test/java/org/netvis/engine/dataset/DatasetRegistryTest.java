package org.netvis.engine.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.download.Downloader;
import org.netvis.engine.download.IntegrityException;
import org.netvis.engine.download.SearchPath;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.testing.SharedData;

/** Data sets by id: found on the data path, or downloaded with a sha256 check; the assignment's archive read safely. */
class DatasetRegistryTest {
  static final String ASSIGNMENT_SHA256 = "35141609d22457c791e8fbe10c2d3b09ed0d6a04b669173e9fbebb0b4915cd3c";
  @TempDir Path dir;

  private Path descriptors(String url, String sha) throws IOException {
    Path d = Files.createDirectories(dir.resolve("descriptors-" + sha.substring(0, 6)));
    Files.writeString(d.resolve("imagenet_val_25.yaml"), "id: imagenet_val_25\nfile: imagenet_val_25.npz\n"
        + "sha256: [" + sha + "]\nobtain: {download: '" + url + "', download_sha256: " + sha + "}\n");
    return d;
  }

  private static HttpServer serve(Path file) throws IOException {
    byte[] body = Files.readAllBytes(file);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/imagenet_val_25.npz", ex -> {
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    return server;
  }

  @Test
  void theRepositoryDescriptorNamesTheAssignmentsFileAndSha256() throws Exception {
    DatasetDescriptor d = DatasetRegistry.read(repoRoot().resolve("datasets/imagenet_val_25.yaml"));
    assertEquals("imagenet_val_25.npz", d.file());
    assertEquals(List.of(ASSIGNMENT_SHA256), d.sha256());
    assertEquals(ASSIGNMENT_SHA256, d.obtain().downloadSha256());
    assertEquals(ASSIGNMENT_SHA256, Sha256.of(SharedData.root().resolve("datasets/imagenet_val_25.npz")));
  }

  @Test
  void findsTheFileOnTheDataPath() throws Exception {
    Path shared = SharedData.root().resolve("datasets");
    DatasetRegistry r = new DatasetRegistry(new SearchPath(List.of(repoRoot().resolve("datasets"), shared),
        dir.resolve("cache")), new Downloader(false));
    assertTrue(r.isId("imagenet_val_25"));
    assertFalse(r.isId("imagenet_val_25.npz"));
    assertEquals(shared.resolve("imagenet_val_25.npz"), r.resolve("imagenet_val_25"));
    IOException typo = assertThrows(IOException.class, () -> r.resolve("imagenet_val_52"));
    assertEquals("unknown data set 'imagenet_val_52' (did you mean 'imagenet_val_25'?) (known: imagenet_val_25)",
        typo.getMessage());
  }

  @Test
  void downloadsFromALoopbackServerWithASha256CheckAndKeepsNothingWhenItDiffers() throws Exception {
    HttpServer server = serve(SharedData.root().resolve("datasets/imagenet_val_25.npz"));
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/imagenet_val_25.npz";
      Path cache = dir.resolve("cache");
      DatasetRegistry good = new DatasetRegistry(new SearchPath(List.of(descriptors(url, ASSIGNMENT_SHA256), cache),
          cache), new Downloader(false));
      Path file = good.resolve("imagenet_val_25");
      assertEquals(cache.resolve("imagenet_val_25/imagenet_val_25.npz"), file);
      assertEquals(ASSIGNMENT_SHA256, Sha256.of(file));

      Path otherCache = dir.resolve("cache2");
      String wrong = "ab".repeat(32);
      DatasetRegistry bad = new DatasetRegistry(new SearchPath(List.of(descriptors(url, wrong), otherCache),
          otherCache), new Downloader(false));
      IntegrityException e = assertThrows(IntegrityException.class, () -> bad.resolve("imagenet_val_25"));
      assertTrue(e.getMessage().contains("has sha256 " + ASSIGNMENT_SHA256 + "; expected " + wrong), e.getMessage());
      try (var left = Files.walk(otherCache)) {
        assertEquals(List.of(), left.filter(Files::isRegularFile).toList(), "nothing is kept of a refused download");
      }
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aFileOnThePathWithAnUnknownSha256IsRefused() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("imagenet_val_25.npz"), "not the archive");
    DatasetRegistry r = new DatasetRegistry(new SearchPath(List.of(descriptors("http://127.0.0.1:9/x", ASSIGNMENT_SHA256),
        data), dir.resolve("cache")), new Downloader(false));
    IntegrityException e = assertThrows(IntegrityException.class, () -> r.resolve("imagenet_val_25"));
    assertTrue(e.getMessage().contains("matches none of the known values for data set 'imagenet_val_25'"), e.getMessage());
  }

  /** The archive's pickled label_map is skipped, never unpickled; X and y are read. */
  @Test
  void theAssignmentsArchiveReadsWithoutItsPickledMember() throws Exception {
    Map<String, NpyArray> arrays = Npy.readNpz(SharedData.root().resolve("datasets/imagenet_val_25.npz"));
    assertEquals(List.of("X", "y"), List.copyOf(arrays.keySet()));
    assertArrayEquals(new long[] {25, 224, 224, 3}, arrays.get("X").shape());
    assertEquals(NpyArray.DType.UINT8, arrays.get("X").dtype());
    assertArrayEquals(new long[] {958, 85, 244, 182, 294}, java.util.Arrays.copyOf(arrays.get("y").asLongs(), 5));
  }

  static Path repoRoot() {
    return Path.of(System.getProperty("netvis.repo.root", "..")).toAbsolutePath().normalize();
  }
}

package org.netvis.engine.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.netvis.engine.download.SearchPath;
import org.netvis.engine.model.Sha256;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime's Java binding copies its 24 MB native library out of the jar into a new temporary
 * directory at every process start (and the 369 MB CUDA provider on GPU machines). netvis copies them
 * once into the user cache, keyed by the jar they came from, and points {@code onnxruntime.native.path}
 * there: every later start loads them in place. {@code NETVIS_ORT_CACHE=0} (or an explicit
 * {@code onnxruntime.native.path}) leaves ONNX Runtime's own loading alone.
 */
final class NativeLibraries {
  private static final Logger LOG = LoggerFactory.getLogger(NativeLibraries.class);
  private static final String PROPERTY = "onnxruntime.native.path";
  private static boolean prepared;

  private NativeLibraries() {}

  /** Called before the first use of ONNX Runtime; never fails (the binding then loads as it would). */
  static synchronized void prepare() {
    if (prepared) {
      return;
    }
    prepared = true;
    if (System.getProperty(PROPERTY) != null || "0".equals(System.getenv("NETVIS_ORT_CACHE"))) {
      return;
    }
    try {
      String platform = platform();
      List<String> names = new ArrayList<>(List.of("libonnxruntime.so", "libonnxruntime4j_jni.so",
          "libonnxruntime_providers_shared.so"));
      if (GpuProbe.problem() == null) {
        names.add("libonnxruntime_providers_cuda.so");
      }
      String prefix = "ai/onnxruntime/native/" + platform + "/";
      URL core = NativeLibraries.class.getClassLoader().getResource(prefix + names.get(0));
      if (platform == null || core == null) {
        return;
      }
      // The jar's location names the ONNX Runtime build: a new version gets a new directory.
      String key = Sha256.of(core.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)).substring(0, 16);
      Path dir = SearchPath.userCacheDir().resolve("onnxruntime").resolve(key);
      Files.createDirectories(dir);
      for (String name : names) {
        Path target = dir.resolve(name);
        if (Files.isRegularFile(target)) {
          continue;
        }
        try (InputStream in = NativeLibraries.class.getClassLoader().getResourceAsStream(prefix + name)) {
          if (in == null) {
            if (name.equals(names.get(0)) || name.equals(names.get(1))) {
              return;
            }
            continue;
          }
          Path tmp = Files.createTempFile(dir, name, ".part");
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
      }
      System.setProperty(PROPERTY, dir.toString());
      LOG.debug("ONNX Runtime's native libraries load from {}", dir);
    } catch (IOException | RuntimeException e) {
      LOG.debug("native libraries stay with ONNX Runtime's own loader: {}", e.toString());
    }
  }

  /** ONNX Runtime's name for this platform's resource folder (linux-x64, linux-aarch64), or null. */
  private static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux")) {
      return null;
    }
    return arch.equals("amd64") || arch.equals("x86_64") ? "linux-x64" : arch.equals("aarch64") ? "linux-aarch64" : null;
  }
}

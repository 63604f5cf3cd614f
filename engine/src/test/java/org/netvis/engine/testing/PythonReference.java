package org.netvis.engine.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the PyTorch references written in the test tree ({@code MODULE/src/test/python}) with Debian's
 * python3, where .ci/run installs torch, torchvision, onnx and numpy.
 */
public final class PythonReference {
  private PythonReference() {}

  /** Debian's python3 (where apt installs torch), unless NETVIS_PYTHON names another. */
  public static String python() {
    String explicit = System.getenv("NETVIS_PYTHON");
    if (explicit != null && !explicit.isBlank()) {
      return explicit;
    }
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  /** A script of {@code module}'s test tree ("engine", "plugins/attacks"), from the repository root. */
  public static Path script(String module, String name) {
    return Path.of(System.getProperty("netvis.repo.root", "..")).resolve(module).resolve("src/test/python").resolve(name);
  }

  /** Runs the script with {@code args}, failing the test with its output when it fails or runs past {@code minutes}. */
  public static void run(Path script, int minutes, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(python(), script.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(minutes, TimeUnit.MINUTES), script.getFileName() + " timed out");
    assertEquals(0, p.exitValue(), script.getFileName() + " failed (python3-torch, python3-torchvision and python3-onnx"
        + " are needed; .ci/run installs them):\n" + out);
  }
}

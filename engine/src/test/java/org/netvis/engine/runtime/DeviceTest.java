package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.testing.SharedData;

/** Device selection; these assertions hold on machines without an NVIDIA GPU, like CI's. */
class DeviceTest {
  @TempDir Path dir;

  static boolean gpuPresent() {
    return Files.exists(Path.of("/dev/nvidia0"));
  }

  private ResolvedModel squeezenet() throws Exception {
    Path p = SharedData.squeezenet();
    return new ResolvedModel(ModelDescriptor.forFile("squeezenet1_1.onnx", Preprocessing.IMAGENET), p, Sha256.of(p), List.of());
  }

  @Test
  void cudaWithoutAGpuFailsClearly() throws Exception {
    if (gpuPresent()) {
      try (Engine e = Engine.open(squeezenet(), EngineOptions.defaults().withDevice(Device.CUDA).withCompanionCache(dir))) {
        assertEquals("CUDAExecutionProvider", e.executionProvider());
      }
      return;
    }
    EngineException e = assertThrows(EngineException.class,
        () -> Engine.open(squeezenet(), EngineOptions.defaults().withDevice(Device.CUDA).withCompanionCache(dir)));
    assertTrue(e.getMessage().startsWith("device cuda was requested but "), e.getMessage());
    assertTrue(e.getMessage().contains("use --device cpu or auto"), e.getMessage());
  }

  @Test
  void autoFallsBackToTheCpu() throws Exception {
    try (Engine e = Engine.open(squeezenet(), EngineOptions.defaults().withDevice(Device.AUTO).withCompanionCache(dir))) {
      assertEquals(gpuPresent() ? "CUDAExecutionProvider" : "CPUExecutionProvider", e.executionProvider());
    }
  }

  @Test
  void deviceNamesParse() {
    assertEquals(Device.CUDA, Device.parse(" CUDA "));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse("tpu"));
    assertEquals("device 'tpu' is not one of auto, cpu, cuda", e.getMessage());
  }
}

package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.SharedData;

/** A batch larger than the gradient batch runs in parts whose results are joined in order. */
class GradientBatchTest {
  @TempDir Path dir;

  /** Seeded N(0, 1) values of the given shape. */
  static Tensor gaussian(long[] shape, long seed) {
    Random r = new Random(seed);
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return new Tensor(shape, v);
  }

  @Test
  void partsGiveTheSameLogitsAndGradientsAsOneRun() throws Exception {
    Path p = SharedData.squeezenet();
    ResolvedModel model = new ResolvedModel(ModelDescriptor.forFile("squeezenet1_1.onnx", Preprocessing.IMAGENET), p,
        Sha256.of(p), List.of());
    // 7 images in parts of 3: two full parts and a last one of 1.
    Tensor images = gaussian(new long[] {7, 3, 224, 224}, 1);
    Tensor cotangent = gaussian(new long[] {7, 1000}, 2);
    EngineOptions cpu = EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(dir);
    try (Engine whole = Engine.open(model, cpu.withGradientBatch(0));
        Engine parts = Engine.open(model, cpu.withGradientBatch(3))) {
      assertEquals(0, whole.gradientBatch());
      assertEquals(3, parts.gradientBatch());
      assertEquals(64, whole.gradientCallSize(64), "an engine that runs batches whole takes any call");
      assertEquals(3, parts.gradientCallSize(64), "the gradient batch caps a call");
      assertEquals(2, parts.gradientCallSize(2));
      VjpResult a = whole.vjp(images, cotangent);
      VjpResult b = parts.vjp(images, cotangent);
      assertArrayEquals(a.logits().shape(), b.logits().shape());
      assertArrayEquals(a.inputGradient().shape(), b.inputGradient().shape());
      // Each image's arithmetic does not depend on its neighbours; only float rounding could differ,
      // and every part must land at its own images.
      for (double e : Compare.relativeL2PerItem(b.logits().data(), Compare.asDoubles(a.logits()), 7)) {
        assertTrue(e < 1e-6, "logits relative L2 " + e);
      }
      for (double e : Compare.relativeL2PerItem(b.inputGradient().data(), Compare.asDoubles(a.inputGradient()), 7)) {
        assertTrue(e < 1e-6, "gradient relative L2 " + e);
      }
    }
  }

  @Test
  void partsSeededAtALayerWriteItsValuesAndTheGradientInPlace() throws Exception {
    Path p = SharedData.squeezenet();
    ResolvedModel model = new ResolvedModel(ModelDescriptor.forFile("squeezenet1_1.onnx", Preprocessing.IMAGENET), p,
        Sha256.of(p), List.of());
    String layer = "/features/features.7/Concat_output_0";
    org.netvis.engine.graph.VjpSpec spec = new org.netvis.engine.graph.VjpSpec(List.of(layer), List.of(), List.of());
    Tensor images = gaussian(new long[] {7, 3, 224, 224}, 3);
    EngineOptions cpu = EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(dir);
    try (Engine whole = Engine.open(model, cpu.withGradientBatch(0));
        Engine parts = Engine.open(model, cpu.withGradientBatch(3))) {
      long[] shape = whole.activations(images.slice(0, 1), List.of(layer)).get(layer).shape();
      shape[0] = 7;
      Tensor cotangent = gaussian(shape, 4);
      String gradient = org.netvis.engine.graph.VjpSpec.gradientName(whole.graph().inputName());
      java.util.Map<String, Tensor> a = whole.vjp(images, spec, java.util.Map.of(layer, cotangent));
      java.util.Map<String, Tensor> b = parts.vjp(images, spec, java.util.Map.of(layer, cotangent));
      // Handed back, the parts' outputs are written over in place, with the same floats.
      java.util.Map<String, Tensor> c = parts.vjp(images, spec, java.util.Map.of(layer, cotangent), b);
      assertTrue(c.get(layer) == b.get(layer), "the layer's values written over the earlier ones");
      assertTrue(c.get(gradient) == b.get(gradient), "the gradient written over the earlier one");
      for (String name : List.of(layer, gradient)) {
        assertArrayEquals(a.get(name).shape(), b.get(name).shape(), name);
        for (double e : Compare.relativeL2PerItem(b.get(name).data(), Compare.asDoubles(a.get(name)), 7)) {
          assertTrue(e < 1e-6, name + " relative L2 " + e);
        }
      }
      Tensor fresh = parts.vjp(images, spec, java.util.Map.of(layer, cotangent)).get(gradient);
      assertArrayEquals(fresh.data(), c.get(gradient).data(), "reused and fresh outputs, bit for bit");
    }
  }

  @Test
  void theDefaultIsEightOnTheCpuAndTheEnvironmentCanChangeIt() {
    assertEquals(EngineOptions.AUTOMATIC_GRADIENT_BATCH, EngineOptions.gradientBatchFromEnvironment(null));
    assertEquals(16, EngineOptions.gradientBatchFromEnvironment(" 16 "));
    assertEquals(0, EngineOptions.gradientBatchFromEnvironment("0"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EngineOptions.gradientBatchFromEnvironment("eight"));
    assertEquals("NETVIS_GRADIENT_BATCH is 'eight'; expected a whole number >= 0 (images per gradient run; "
        + "0 = the whole batch)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.gradientBatchFromEnvironment("-2"));
    IllegalArgumentException sessions = assertThrows(IllegalArgumentException.class,
        () -> EngineOptions.switchFromEnvironment("NETVIS_FIXED_BATCH_SESSIONS", "yes", true));
    assertEquals("NETVIS_FIXED_BATCH_SESSIONS is 'yes'; expected 0 (off) or 1 (on)", sessions.getMessage());
    assertEquals(false, EngineOptions.switchFromEnvironment("NETVIS_FIXED_BATCH_SESSIONS", " 0", true));
    assertEquals(false, EngineOptions.switchFromEnvironment("NETVIS_FIXED_BATCH_SESSIONS", null, false));
    assertEquals(true, EngineOptions.switchFromEnvironment("NETVIS_FIXED_BATCH_SESSIONS", "1", false));
  }
}

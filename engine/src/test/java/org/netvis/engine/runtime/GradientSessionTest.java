package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.SharedData;

/** Gradient sessions with the batch fixed: one per batch size, and an image's floats independent of its batch. */
class GradientSessionTest {
  @TempDir Path dir;

  private ResolvedModel squeezenet() throws Exception {
    Path p = SharedData.squeezenet();
    return new ResolvedModel(ModelDescriptor.forFile("squeezenet1_1.onnx", Preprocessing.IMAGENET), p, Sha256.of(p),
        List.of());
  }

  @Test
  void eachBatchSizeRunsItsOwnSessionAndAnImagesGradientDoesNotDependOnItsBatch() throws Exception {
    Tensor images = GradientBatchTest.gaussian(new long[] {7, 3, 224, 224}, 3);
    Tensor cotangent = GradientBatchTest.gaussian(new long[] {7, 1000}, 4);
    EngineOptions cpu = EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(dir)
        .withFixedBatchSessions(true);
    try (Engine parts = Engine.open(squeezenet(), cpu.withGradientBatch(3));
        Engine alone = Engine.open(squeezenet(), cpu.withGradientBatch(3));
        Engine anyBatch = Engine.open(squeezenet(), cpu.withGradientBatch(3).withFixedBatchSessions(false))) {
      assertTrue(parts.fixedBatchSessions());
      assertFalse(anyBatch.fixedBatchSessions());
      // 7 images in parts of 3: sessions for 3 and for the last part's 1.
      VjpResult batched = parts.vjp(images, cotangent);
      assertEquals(List.of(1L, 3L), parts.fixedBatchSizes(VjpSpec.DEFAULT, 224, 224));
      int item = images.itemSize();
      for (int i = 0; i < 7; i++) {
        VjpResult one = alone.vjp(images.slice(i, i + 1), cotangent.slice(i, i + 1));
        assertArrayEquals(Arrays.copyOfRange(batched.inputGradient().data(), i * item, (i + 1) * item),
            one.inputGradient().data(), "image " + i + ": the same floats alone as in a batch of 3");
        assertArrayEquals(Arrays.copyOfRange(batched.logits().data(), i * 1000, (i + 1) * 1000), one.logits().data());
      }
      assertEquals(List.of(1L), alone.fixedBatchSizes(VjpSpec.DEFAULT, 224, 224));
      // Against the session for any batch only ONNX Runtime's fusions differ: last-bit rounding.
      VjpResult shared = anyBatch.vjp(images, cotangent);
      assertEquals(List.of(), anyBatch.fixedBatchSizes(VjpSpec.DEFAULT, 224, 224));
      for (double e : Compare.relativeL2PerItem(batched.logits().data(), Compare.asDoubles(shared.logits()), 7)) {
        assertTrue(e < 1e-6, "logits relative L2 " + e);
      }
      for (double e : Compare.relativeL2PerItem(batched.inputGradient().data(), Compare.asDoubles(shared.inputGradient()),
          7)) {
        assertTrue(e < 1e-6, "gradient relative L2 " + e);
      }
    }
  }

  @Test
  void noFixedBatchesWhereBatchesRunWhole() throws Exception {
    EngineOptions whole = EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(dir).withGradientBatch(0);
    try (Engine engine = Engine.open(squeezenet(), whole)) {
      assertFalse(engine.fixedBatchSessions(), "sizes would be unbounded");
      engine.vjp(GradientBatchTest.gaussian(new long[] {2, 3, 224, 224}, 5),
          GradientBatchTest.gaussian(new long[] {2, 1000}, 6));
      assertEquals(List.of(), engine.fixedBatchSizes(VjpSpec.DEFAULT, 224, 224));
    }
  }
}

package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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

/** Gradient-graph sessions with the batch fixed: when a size gets one, and that it computes the same gradients. */
class GradientSessionTest {
  @TempDir Path dir;

  private ResolvedModel squeezenet() throws Exception {
    Path p = SharedData.squeezenet();
    return new ResolvedModel(ModelDescriptor.forFile("squeezenet1_1.onnx", Preprocessing.IMAGENET), p, Sha256.of(p),
        List.of());
  }

  @Test
  void aBatchSizeGetsItsOwnSessionOnItsEighthRunUpToTheLimitWithTheSameGradients() throws Exception {
    Tensor two = GradientBatchTest.gaussian(new long[] {2, 3, 224, 224}, 3);
    Tensor twoCotangent = GradientBatchTest.gaussian(new long[] {2, 1000}, 4);
    Tensor one = GradientBatchTest.gaussian(new long[] {1, 3, 224, 224}, 5);
    Tensor oneCotangent = GradientBatchTest.gaussian(new long[] {1, 1000}, 6);
    EngineOptions cpu = EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(dir).withBatchSessions(1);
    try (Engine engine = Engine.open(squeezenet(), cpu); Engine again = Engine.open(squeezenet(), cpu)) {
      VjpResult shared = engine.vjp(two, twoCotangent);
      for (int run = 2; run < GradientSession.SPECIALIZE_ON_RUN; run++) {
        engine.vjp(two, twoCotangent);
        assertEquals(List.of(), engine.batchSessions(VjpSpec.DEFAULT, 224, 224), "run " + run);
      }
      VjpResult own = engine.vjp(two, twoCotangent);
      assertEquals(List.of(2L), engine.batchSessions(VjpSpec.DEFAULT, 224, 224));
      // Only ONNX Runtime's fusions differ between the two sessions: last-bit rounding.
      for (double e : Compare.relativeL2PerItem(own.logits().data(), Compare.asDoubles(shared.logits()), 2)) {
        assertTrue(e < 1e-6, "logits relative L2 " + e);
      }
      for (double e : Compare.relativeL2PerItem(own.inputGradient().data(), Compare.asDoubles(shared.inputGradient()), 2)) {
        assertTrue(e < 1e-6, "gradient relative L2 " + e);
      }
      // The limit (1 here) keeps a second size on the shared session however often it runs.
      VjpResult oneShared = engine.vjp(one, oneCotangent);
      for (int run = 2; run <= GradientSession.SPECIALIZE_ON_RUN + 1; run++) {
        assertArrayEquals(oneShared.inputGradient().data(), engine.vjp(one, oneCotangent).inputGradient().data());
      }
      assertEquals(List.of(2L), engine.batchSessions(VjpSpec.DEFAULT, 224, 224));
      // The choice follows the calls alone: the same calls in another engine give the same bits.
      for (int run = 1; run <= GradientSession.SPECIALIZE_ON_RUN; run++) {
        VjpResult r = again.vjp(two, twoCotangent);
        assertArrayEquals((run < GradientSession.SPECIALIZE_ON_RUN ? shared : own).inputGradient().data(),
            r.inputGradient().data(), "run " + run);
      }
    }
  }

  @Test
  void noSessionOfItsOwnWhenTurnedOff() throws Exception {
    Tensor one = GradientBatchTest.gaussian(new long[] {1, 3, 224, 224}, 7);
    Tensor cotangent = GradientBatchTest.gaussian(new long[] {1, 1000}, 8);
    EngineOptions off = EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(dir).withBatchSessions(0);
    try (Engine engine = Engine.open(squeezenet(), off)) {
      for (int run = 0; run <= GradientSession.SPECIALIZE_ON_RUN; run++) {
        engine.vjp(one, cotangent);
      }
      assertEquals(List.of(), engine.batchSessions(VjpSpec.DEFAULT, 224, 224));
    }
  }
}

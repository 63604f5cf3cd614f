package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.SharedData;

/**
 * {@link Engine#closeIdleSessions}: what an experiment calls between steps closes exactly the
 * sessions no run used since the previous call, and a closed one opens again, with the same results,
 * on its next use.
 */
class IdleSessionsTest {
  @TempDir Path dir;

  @Test
  void sessionsUnusedSinceThePreviousCallCloseAndOpenAgainOnTheirNextUse() throws Exception {
    try (Engine engine = GradientCheck.open(SharedData.fixture("densenet_mini-random"), dir)) {
      Tensor x = RandomTensors.gaussian(new Random(3), 1, 2, engine.channels(), engine.inputHeight(),
          engine.inputWidth());
      String layer = engine.layers().get(engine.layers().size() / 2).name();
      Tensor cotangent = RandomTensors.gaussian(new Random(4), 1, 2, engine.classes());

      // Round 1: three sessions of the cache (the layer alone, the model above it, the gradient graph).
      Tensor values = engine.layerValues(x, List.of(layer)).get(layer);
      Tensor fromLayer = engine.scoresFromLayer(x, new int[] {0, 1}, layer, values);
      Tensor gradient = engine.vjp(x, cotangent).inputGradient();
      assertEquals(0, engine.closeIdleSessions(), "every session was used in this round");

      // Round 2 uses only a fourth one (the whole model with the layer as an output).
      engine.activations(x, List.of(layer));
      assertEquals(3, engine.closeIdleSessions(), "the three sessions round 2 did not use");
      assertEquals(1, engine.closeIdleSessions(), "the activations' session, unused since");
      assertEquals(0, engine.closeIdleSessions(), "nothing is left open but the forward pass");

      // The forward pass's own session never closes; the others open again with the same results.
      Compare.assertSameUpToRounding(engine.scores(x).data(), engine.scores(x).data());
      Compare.assertSameUpToRounding(values.data(), engine.layerValues(x, List.of(layer)).get(layer).data());
      Compare.assertSameUpToRounding(fromLayer.data(), engine.scoresFromLayer(x, new int[] {0, 1}, layer, values).data());
      Compare.assertSameUpToRounding(gradient.data(), engine.vjp(x, cotangent).inputGradient().data());
      assertEquals(0, engine.closeIdleSessions(), "all three opened again in this round");
    }
  }
}

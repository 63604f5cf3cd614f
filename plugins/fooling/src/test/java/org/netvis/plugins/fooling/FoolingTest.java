package org.netvis.plugins.fooling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.SharedData;

class FoolingTest {
  @TempDir Path dir;

  @Test
  void foolsLikeTheReferenceLoop() throws Exception {
    Tensor inputs = Npy.readTensor(SharedData.reference().resolve("inputs.npy"));
    JsonNode ref = new ObjectMapper().readTree(SharedData.reference().resolve("fooling_target6.json").toFile());
    try (Engine engine = GradientCheck.open(SharedData.squeezenet(), dir)) {
      // Each image is announced once, as its loop ends: in the order of its iteration count, with
      // the outcome returned at the end.
      List<Integer> announced = new java.util.ArrayList<>();
      java.util.Map<Integer, Fooling.Outcome> told = new java.util.HashMap<>();
      List<Fooling.Outcome> outcomes = Fooling.fool(engine, inputs, 6, 1.0, 100, Progress.NONE, (k, o) -> {
        announced.add(k);
        told.put(k, o);
      });
      assertEquals(8, announced.size());
      assertEquals(8, told.size());
      for (int k = 0; k < 8; k++) {
        assertTrue(told.get(k) == outcomes.get(k), "image " + k);
        if (k > 0) {
          assertTrue(outcomes.get(announced.get(k - 1)).iterations() <= outcomes.get(announced.get(k)).iterations(),
              "announced " + announced);
        }
      }
      Tensor before = engine.scores(inputs);
      for (int i = 0; i < 8; i++) {
        Fooling.Outcome o = outcomes.get(i);
        // The logits before any step, taken from the first step's forward pass, are the forward pass's.
        assertEquals(ClassScores.argmax(before, i), ClassScores.argmax(o.initialLogits(), 0), "image " + i);
        for (int c = 0; c < before.dim(1); c++) {
          float expectedLogit = before.data()[i * (int) before.dim(1) + c];
          assertEquals(expectedLogit, o.initialLogits().data()[c], 1e-4 * Math.max(1, Math.abs(expectedLogit)),
              "image " + i + ", class " + c);
        }
        int expected = ref.get("iterations").get(i).asInt();
        boolean fooledRef = ref.get("fooled").get(i).asBoolean();
        int afterPng = ClassScores.argmax(engine.scores(Pixels.normalize(
            Pixels.toRgb8(o.fooled(), 0, Preprocessing.IMAGENET), Preprocessing.IMAGENET)), 0);
        double[] norms = Fooling.pixelNorms(Fooling.difference(o.fooled(), inputs.slice(i, i + 1)), Preprocessing.IMAGENET);
        System.out.printf("image %d: %3d iterations (reference %3d), fooled %-5s (reference %-5s), "
            + "PNG round trip predicts %d, perturbation L2 %.3f Linf %.4f%n", i, o.iterations(), expected, o.success(),
            fooledRef, afterPng, norms[0], norms[1]);
        if (fooledRef) {
          assertTrue(o.success(), "image " + i + " is fooled within 100 iterations");
          assertTrue(Math.abs(o.iterations() - expected) <= 2, "image " + i + ": " + o.iterations() + " vs " + expected);
          assertEquals(6, ClassScores.argmax(o.finalLogits(), 0));
        }
      }
    }
  }

  @Test
  void anImageAlreadyOfTheTargetClassTakesNoStep() throws Exception {
    Tensor inputs = Npy.readTensor(SharedData.reference().resolve("inputs.npy")).slice(0, 1);
    try (Engine engine = GradientCheck.open(SharedData.squeezenet(), dir)) {
      List<Fooling.Outcome> o = Fooling.fool(engine, inputs, 958, 1.0, 100, Progress.NONE);
      assertEquals(0, o.get(0).iterations());
      assertTrue(o.get(0).success());
      assertEquals(0.0, Fooling.pixelNorms(Fooling.difference(o.get(0).fooled(), inputs), Preprocessing.IMAGENET)[0]);
    }
  }
}

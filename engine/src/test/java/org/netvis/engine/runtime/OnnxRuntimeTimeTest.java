package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.TinyExperiment;

/**
 * The engine's two clocks for time spent in ONNX Runtime: its runs, and its loading of sessions,
 * which happens once per graph (the forward graph when the engine opens, a gradient graph on its
 * first use).
 */
class OnnxRuntimeTimeTest {
  @TempDir Path dir;

  private ResolvedModel tinyModel() throws Exception {
    TinyExperiment tiny = new TinyExperiment(dir);
    return new ResolvedModel(ModelDescriptor.forFile("tiny.onnx", Preprocessing.IMAGENET), tiny.model,
        Sha256.of(tiny.model), List.of());
  }

  private static Tensor images() {
    return GradientBatchTest.gaussian(new long[] {2, 3, 8, 8}, 3);
  }

  @Test
  void sessionsAreTimedWhenTheyLoadAndRunsEachTime() throws Exception {
    Tensor images = images();
    try (Engine engine = Engine.open(tinyModel(), EngineOptions.defaults().withDevice(Device.CPU)
        .withCompanionCache(dir))) {
      long opened = engine.sessionLoadNanos();
      assertTrue(opened > 0, "the forward session was loaded when the engine opened");
      assertEquals(0, engine.onnxRuntimeNanos(), "nothing has run yet");

      engine.scores(images);
      long afterScores = engine.onnxRuntimeNanos();
      assertTrue(afterScores > 0, "a forward pass is a run");
      assertEquals(opened, engine.sessionLoadNanos(), "the forward session is not loaded again");

      Tensor cotangent = ClassScores.oneHot(new long[] {1, 4}, engine.classes());
      engine.vjp(images, cotangent);
      long withGradient = engine.sessionLoadNanos();
      assertTrue(withGradient > opened, "the gradient graph's session loads on its first use");
      long afterFirstVjp = engine.onnxRuntimeNanos();
      assertTrue(afterFirstVjp > afterScores);

      engine.vjp(images, cotangent);
      assertEquals(withGradient, engine.sessionLoadNanos(), "a loaded gradient session is reused");
      assertTrue(engine.onnxRuntimeNanos() > afterFirstVjp, "each run adds its time");
    }
  }

  @Test
  void aVariantsTimeCountsInTheEngineItWasOpenedFromAndNoOtherEngines() throws Exception {
    ResolvedModel model = tinyModel();
    Tensor images = images();
    EngineOptions options = EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(dir);
    try (Engine engine = Engine.open(model, options); Engine unrelated = Engine.open(model, options)) {
      long run0 = engine.onnxRuntimeNanos();
      long load0 = engine.sessionLoadNanos();
      long unrelatedRun = unrelated.onnxRuntimeNanos();
      long unrelatedLoad = unrelated.sessionLoadNanos();
      long variantRun;
      long variantLoad;
      try (Engine variant = engine.openVariant("tiny-variant.onnx", engine.graph().proto())) {
        variant.vjp(images, ClassScores.oneHot(new long[] {1, 4}, variant.classes()));
        variantRun = variant.onnxRuntimeNanos();
        variantLoad = variant.sessionLoadNanos();
      }
      assertTrue(engine.onnxRuntimeNanos() > run0, "the variant's runs count in the engine it came from");
      assertTrue(engine.sessionLoadNanos() > load0, "so do its forward and gradient sessions' loading");
      assertEquals(engine.onnxRuntimeNanos(), variantRun, "one clock: the variant reads the same time");
      assertEquals(engine.sessionLoadNanos(), variantLoad);
      assertEquals(unrelatedRun, unrelated.onnxRuntimeNanos(), "an engine opened on its own keeps its own clock");
      assertEquals(unrelatedLoad, unrelated.sessionLoadNanos());
    }
  }
}

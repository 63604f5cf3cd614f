package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.attribution.TargetGradients;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.SharedData;

/**
 * An earlier result handed back to a gradient call is written over where its shapes fit, with the
 * same floats as a call that allocates its outputs; where they do not fit it is left alone.
 */
class ReusedOutputsTest {
  @TempDir Path dir;

  private Engine open(int gradientBatch) throws Exception {
    Path p = SharedData.squeezenet();
    ResolvedModel model = new ResolvedModel(ModelDescriptor.forFile("squeezenet1_1.onnx", Preprocessing.IMAGENET), p,
        Sha256.of(p), List.of());
    return Engine.open(model, EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(dir)
        .withGradientBatch(gradientBatch));
  }

  private static Tensor cotangent(int n, long seed) {
    return GradientBatchTest.gaussian(new long[] {n, 1000}, seed);
  }

  /**
   * Runs {@code images} fresh, then over the result of other images of the same shape: the earlier
   * result's tensors come back, holding the fresh call's floats.
   */
  private static void assertWrittenOver(Engine engine, Tensor images, Tensor others, long seed) {
    int n = (int) images.dim(0);
    VjpResult fresh = engine.vjp(images, cotangent(n, seed));
    VjpResult earlier = engine.vjp(others, cotangent(n, seed + 1));
    VjpResult reused = engine.vjp(images, cotangent(n, seed), earlier);
    assertSame(earlier.inputGradient(), reused.inputGradient());
    assertSame(earlier.logits(), reused.logits());
    assertArrayEquals(fresh.inputGradient().data(), reused.inputGradient().data());
    assertArrayEquals(fresh.logits().data(), reused.logits().data());
  }

  @Test
  void aResultOfTheSameShapesIsWrittenOverWithTheFreshCallsFloats() throws Exception {
    try (Engine engine = open(8)) {
      assertWrittenOver(engine, GradientBatchTest.gaussian(new long[] {2, 3, 224, 224}, 2),
          GradientBatchTest.gaussian(new long[] {2, 3, 224, 224}, 1), 3);
    }
  }

  @Test
  void partsLandAtTheirOwnImagesOfTheReusedArrays() throws Exception {
    // 7 images in parts of 3: each part's outputs are written at its offset in the reused arrays.
    try (Engine engine = open(3)) {
      assertWrittenOver(engine, GradientBatchTest.gaussian(new long[] {7, 3, 224, 224}, 5),
          GradientBatchTest.gaussian(new long[] {7, 3, 224, 224}, 7), 6);
    }
  }

  @Test
  void aLayersValuesAndGradientAreWrittenOverOnceARunHasShownTheirShape() throws Exception {
    // Their shapes are not known before the graph's first run; after it, whole and in parts of 2.
    String layer = "/features/features.7/Concat_output_0";
    VjpSpec spec = new VjpSpec(List.of(), List.of(layer), List.of(layer));
    for (int[] batchAndPart : new int[][] {{2, 8}, {5, 2}}) {
      int n = batchAndPart[0];
      try (Engine engine = open(batchAndPart[1])) {
        String logits = engine.graph().outputName();
        Tensor images = GradientBatchTest.gaussian(new long[] {n, 3, 224, 224}, 15);
        Map<String, Tensor> fresh = engine.vjp(images, spec, Map.of(logits, cotangent(n, 16)));
        Map<String, Tensor> earlier = engine.vjp(GradientBatchTest.gaussian(new long[] {n, 3, 224, 224}, 17), spec,
            Map.of(logits, cotangent(n, 18)));
        Map<String, Tensor> reused = engine.vjp(images, spec, Map.of(logits, cotangent(n, 16)), earlier);
        for (String name : List.of(layer, VjpSpec.gradientName(layer))) {
          assertSame(earlier.get(name), reused.get(name), name);
          assertArrayEquals(fresh.get(name).data(), reused.get(name).data(), name);
        }
        assertArrayEquals(new long[] {n, 256, 27, 27}, reused.get(layer).shape());
      }
    }
  }

  @Test
  void aResultOfAnotherBatchIsLeftAloneAndTheOutputsAreFresh() throws Exception {
    try (Engine engine = open(8)) {
      VjpResult earlier = engine.vjp(GradientBatchTest.gaussian(new long[] {2, 3, 224, 224}, 9), cotangent(2, 10));
      float[] before = earlier.inputGradient().data().clone();
      Tensor three = GradientBatchTest.gaussian(new long[] {3, 3, 224, 224}, 11);
      VjpResult fresh = engine.vjp(three, cotangent(3, 12));
      VjpResult other = engine.vjp(three, cotangent(3, 12), earlier);
      assertNotSame(earlier.inputGradient(), other.inputGradient());
      assertArrayEquals(before, earlier.inputGradient().data());
      assertArrayEquals(fresh.inputGradient().data(), other.inputGradient().data());
    }
  }

  @Test
  void crossEntropyAndTargetGradientsReuseTheGradientAlone() throws Exception {
    try (Engine engine = open(8)) {
      Tensor images = GradientBatchTest.gaussian(new long[] {2, 3, 224, 224}, 13);
      Tensor targets = ClassScores.oneHot(new long[] {6, 281}, engine.classes());
      VjpResult fresh = engine.crossEntropyVjp(images, targets);
      Tensor gradient = engine.crossEntropyVjp(GradientBatchTest.gaussian(new long[] {2, 3, 224, 224}, 14), targets)
          .inputGradient();
      VjpResult reused = engine.crossEntropyVjp(images, targets, new VjpResult(null, gradient));
      assertSame(gradient, reused.inputGradient());
      assertArrayEquals(fresh.inputGradient().data(), gradient.data());
      assertArrayEquals(fresh.logits().data(), reused.logits().data());

      long[] classes = {6, 281};
      Tensor freshTarget = TargetGradients.of(engine, images, classes, 2);
      Tensor reusedTarget = TargetGradients.of(engine, images, classes, 2, gradient);
      assertSame(gradient, reusedTarget);
      assertArrayEquals(freshTarget.data(), reusedTarget.data());
      // In chunks smaller than the batch the gradient is joined afresh.
      float[] kept = gradient.data().clone();
      Tensor chunked = TargetGradients.of(engine, images, classes, 1, gradient);
      assertNotSame(gradient, chunked);
      assertArrayEquals(kept, gradient.data());
    }
  }
}

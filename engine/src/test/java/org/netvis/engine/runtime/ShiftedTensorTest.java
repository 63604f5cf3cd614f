package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.graph.GraphBuildException;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.SharedData;

/**
 * Gradient graphs that read a hidden tensor T as T + D ({@link VjpSpec#shifts}), on the ResNet-18
 * fixture: no shift is the plain model; a block's output set to another image's makes the logits
 * that image's (nothing after it reads the first image), as they are from the forward pass cut at the
 * tensor ({@link Engine#scoresFromLayer}); inside a block, the skip path still reads the image; the gradient at a shifted block output is the gradient of the image it was moved to.
 */
class ShiftedTensorTest {
  private static final String INSIDE = "/layer1/layer1.0/conv2/Conv_output_0";
  private static final String LAST_BLOCK = "/layer4/layer4.1/relu_1/Relu_output_0";
  private static final String BLOCK = "/layer3/layer3.1/relu_1/Relu_output_0";

  @TempDir Path dir;

  private static Tensor gaussian(long seed, long... shape) {
    Random random = new Random(seed);
    Tensor t = Tensor.zeros(shape);
    for (int k = 0; k < t.size(); k++) {
      t.data()[k] = (float) random.nextGaussian();
    }
    return t;
  }

  private static Tensor minus(Tensor a, Tensor b) {
    float[] out = new float[a.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = a.data()[k] - b.data()[k];
    }
    return new Tensor(a.shape(), out);
  }

  @Test
  void theShiftedGraphEvaluatesTheModelWithTheTensorMoved() throws Exception {
    try (Engine engine = GradientCheck.open(SharedData.fixture("resnet18-random"), dir)) {
      String logits = engine.graph().outputName();
      Tensor x = gaussian(1, 2, 3, 224, 224);
      Tensor other = gaussian(2, 2, 3, 224, 224);
      Tensor cotangent = gaussian(3, 2, engine.classes());

      for (String t : List.of(INSIDE, LAST_BLOCK)) {
        VjpSpec spec = new VjpSpec(List.of(), List.of(), List.of(t)).withShifts(List.of(t));
        VjpSpec plain = new VjpSpec(List.of(), List.of(t), List.of(t));
        Map<String, Tensor> unshifted = engine.vjp(x, plain, Map.of(logits, cotangent));
        Tensor activation = unshifted.get(t);
        Map<String, Tensor> none = engine.vjp(x, spec,
            Map.of(logits, cotangent, VjpSpec.shiftName(t), Tensor.zeros(activation.shape())));
        Compare.assertSameUpToRounding(unshifted.get(logits).data(), none.get(logits).data());
        Compare.assertSameUpToRounding(unshifted.get(VjpSpec.gradientName(t)).data(),
            none.get(VjpSpec.gradientName(t)).data());

        // T set to the other images' T.
        Tensor otherActivation = engine.activations(other, List.of(t)).get(t);
        Tensor moved = engine.vjp(x, spec,
            Map.of(logits, cotangent, VjpSpec.shiftName(t), minus(otherActivation, activation))).get(logits);
        double fromOther = Compare.maxRelative(moved.data(), Compare.asDoubles(engine.scores(other)));
        // The forward pass cut at the tensor, built another way, sets it to the same values.
        Tensor set = engine.scoresFromLayer(x, new int[] {0, 1}, t, otherActivation);
        double fromCut = Compare.maxRelative(set.data(), Compare.asDoubles(moved));
        System.out.printf("%s set to another image's: logits %.2e from that image's, %.2e from the forward pass cut"
            + " there (relative)%n", t, fromOther, fromCut);
        assertTrue(fromCut < 1e-5, t + ": " + fromCut);
        if (t.equals(LAST_BLOCK)) {
          assertTrue(fromOther < 1e-5, t + ": " + fromOther);
        } else {
          assertTrue(fromOther > 1e-2, t + ": the skip path reads the image, yet the logits are the other's");
        }
      }
    }
  }

  /**
   * Everything after a block's output reads only that output, so the gradient there, with the first
   * image's output moved onto the second's, is the second image's gradient: an exact expectation where
   * central differences were not (ReLU kinks downstream of any usable step, and float32 logits, left
   * them 2-5% from the true slope on some CPUs). The shift is large, so a gradient taken at the unshifted
   * point would be far off.
   */
  @Test
  void theGradientAtAShiftedBlockOutputIsTheGradientOfTheImageItWasMovedTo() throws Exception {
    try (Engine engine = GradientCheck.open(SharedData.fixture("resnet18-random"), dir)) {
      String logits = engine.graph().outputName();
      Tensor x = gaussian(4, 1, 3, 224, 224);
      Tensor other = gaussian(5, 1, 3, 224, 224);
      Tensor cotangent = gaussian(6, 1, engine.classes());
      VjpSpec plain = new VjpSpec(List.of(), List.of(), List.of(BLOCK));
      Tensor atOther = engine.vjp(other, plain, Map.of(logits, cotangent)).get(VjpSpec.gradientName(BLOCK));
      Tensor atX = engine.vjp(x, plain, Map.of(logits, cotangent)).get(VjpSpec.gradientName(BLOCK));
      Tensor shift = minus(engine.activations(other, List.of(BLOCK)).get(BLOCK),
          engine.activations(x, List.of(BLOCK)).get(BLOCK));
      Tensor shifted = engine.vjp(x, plain.withShifts(List.of(BLOCK)),
          Map.of(logits, cotangent, VjpSpec.shiftName(BLOCK), shift)).get(VjpSpec.gradientName(BLOCK));
      double error = Compare.maxRelative(shifted.data(), Compare.asDoubles(atOther));
      double unshifted = Compare.maxRelative(atX.data(), Compare.asDoubles(atOther));
      System.out.printf("gradient at the shifted %s: %.2e from the other image's; the image's own %.2e%n", BLOCK,
          error, unshifted);
      assertTrue(unshifted > 1e-1, "the two images' gradients differ too little to tell: " + unshifted);
      assertTrue(error < 1e-5, BLOCK + ": " + error);
    }
  }

  @Test
  void tensorsThatCannotBeShiftedAreNamed() throws Exception {
    try (Engine engine = GradientCheck.open(SharedData.fixture("resnet18-random"), dir)) {
      String logits = engine.graph().outputName();
      Tensor x = gaussian(8, 1, 3, 224, 224);
      Tensor cotangent = gaussian(9, 1, engine.classes());
      GraphBuildException output = assertThrows(GraphBuildException.class, () -> engine.vjp(x,
          VjpSpec.DEFAULT.withShifts(List.of(logits)), Map.of(logits, cotangent)));
      assertTrue(output.getMessage().contains("it is the model's output"), output.getMessage());
      GraphBuildException missing = assertThrows(GraphBuildException.class, () -> engine.vjp(x,
          VjpSpec.DEFAULT.withShifts(List.of("no_such_tensor")), Map.of(logits, cotangent)));
      assertTrue(missing.getMessage().startsWith("tensor 'no_such_tensor' cannot be shifted"), missing.getMessage());
      EngineException noShift = assertThrows(EngineException.class, () -> engine.vjp(x,
          VjpSpec.DEFAULT.withShifts(List.of(INSIDE)), Map.of(logits, cotangent)));
      assertEquals("no shift given for tensor '" + INSIDE + "' (expected it under 'netvis/shift/" + INSIDE + "')",
          noShift.getMessage());
    }
  }
}

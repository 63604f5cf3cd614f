package org.netvis.engine.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NearestNamesTest {

  /** Distances counted by hand from the definition (insert, delete, substitute, swap neighbours). */
  @ParameterizedTest(name = "{0} -> {1}: {2}")
  @CsvSource({
      "kitten, sitting, 3", // k->s, e->i, +g
      "saliency, saliency, 0",
      "sailency, saliency, 1", // one swap of neighbours
      "ca, ac, 1",
      // Optimal string alignment edits each substring once: ca -> ac -> abc is not allowed, so 3, not 2.
      "ca, abc, 3",
      "step_sise, step_size, 1",
      "learning-rate, learning_rate, 0", // '-' and '_' are one character
      "Model, model, 0", // case is not counted
      "'', abc, 3",
      "fgm, pgd, 2"})
  void distanceCountsEditsAsDefined(String a, String b, int expected) {
    assertEquals(expected, NearestNames.distance(a, b));
    assertEquals(expected, NearestNames.distance(b, a), "symmetric");
  }

  @Test
  void aNameOneSlipAwayGetsAHint() {
    List<String> techniques = List.of("saliency", "fooling", "integrated-gradients", "fgsm", "pgd", "cw");
    assertEquals(" (did you mean 'integrated-gradients'?)", NearestNames.didYouMean("integrated-gradient", techniques));
    assertEquals(" (did you mean 'integrated-gradients'?)", NearestNames.didYouMean("Integrated_Gradients", techniques));
    assertEquals(" (did you mean 'saliency'?)", NearestNames.didYouMean("salency", techniques));
    assertEquals(" (did you mean 'fgsm'?)", NearestNames.didYouMean("fgm", techniques));
    assertEquals(" (did you mean 'labels'?)", NearestNames.didYouMean("lables", Set.of("name", "model", "labels", "inputs")));
  }

  @Test
  void namesTooFarOffGetNoHint() {
    // A third of the name's length in edits, at least one and at most three.
    assertEquals("", NearestNames.didYouMean("colour", List.of("count", "target", "scale", "tags")));
    assertEquals("", NearestNames.didYouMean("ig", List.of("integrated-gradients", "lime")));
    assertEquals("", NearestNames.didYouMean("nope", List.of()));
    assertEquals(" (did you mean 'squeezenet1_1'?)", NearestNames.didYouMean("squeezenet", List.of("squeezenet1_1")));
    assertEquals("", NearestNames.didYouMean("squeeze", List.of("squeezenet1_1")));
  }

  @Test
  void equallyNearNamesAreAllOffered() {
    assertEquals(" (did you mean 'bat' or 'hat'?)", NearestNames.didYouMean("cat", List.of("hat", "dog", "bat")));
  }

  @Test
  void nearestListsTheClosestFirstAndTiesAlphabetically() {
    List<String> layers = List.of("/features/features.12/Concat_output_0", "/features/features.3/Concat_output_0",
        "/features/features.12/expand1x1/Conv_output_0", "/classifier/classifier.1/Conv_output_0");
    assertEquals(List.of("/features/features.12/Concat_output_0", "/features/features.3/Concat_output_0"),
        NearestNames.nearest("/features/features.12/Concat", layers, 2));
    assertEquals(List.of("bat", "hat", "dog"), NearestNames.nearest("cat", List.of("hat", "dog", "bat", "hat"), 5));
  }
}

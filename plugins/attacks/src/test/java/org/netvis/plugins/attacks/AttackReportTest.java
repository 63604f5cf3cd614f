package org.netvis.plugins.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.netvis.engine.image.RgbImage;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.tensor.Tensor;

class AttackReportTest {
  private static final ResolvedModel MODEL = new ResolvedModel(ModelDescriptor.forFile("m.onnx", Preprocessing.IMAGENET),
      Path.of("m.onnx"), "0", List.of("hay", "quail", "stingray"));

  private static AttackReport.Pictures[] pictures(int n) {
    AttackReport.Pictures[] p = new AttackReport.Pictures[n];
    for (int i = 0; i < n; i++) {
      RgbImage image = new RgbImage(1, 1, new int[] {0, 0, 0}, null);
      p[i] = new AttackReport.Pictures(image, image, image, 0, 0);
    }
    return p;
  }

  /** Logits whose argmax for image i is classes[i]. */
  private static Tensor logitsFor(int... classes) {
    float[] z = new float[classes.length * 3];
    for (int i = 0; i < classes.length; i++) {
      z[i * 3 + classes[i]] = 1f;
    }
    return new Tensor(new long[] {classes.length, 3}, z);
  }

  @Test
  void theFigureNamesEachAdversarialImagesClassAndSaysWhereTheAttackFailed() {
    // Untargeted: image 0 (hay) now reads as stingray, image 1 (quail) still as quail.
    List<List<String>> untargeted = AttackReport.figure("PGD", MODEL, pictures(2), new long[] {0, 1},
        logitsFor(2, 1), -1).titles();
    assertEquals(List.of(List.of("hay", "quail"), List.of("stingray", "quail (attack failed)"),
        List.of("difference x10", "difference x10")), untargeted);
    // Targeted at class 2: only an image the model now gives class 2 succeeded.
    List<List<String>> targeted = AttackReport.figure("PGD", MODEL, pictures(2), new long[] {0, 1},
        logitsFor(2, 0), 2).titles();
    assertEquals(List.of("stingray", "hay (attack failed)"), targeted.get(1));
  }
}

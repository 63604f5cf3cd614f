package org.netvis.plugins.attacks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.image.Figure;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.image.PngBatch;
import org.netvis.engine.image.RgbImage;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;

/**
 * What an attack step writes: adversarial.npy ([0, 1] pixels, RGB, NCHW), per image the photo, the
 * adversarial image and the difference amplified, and per image before/after predictions,
 * success, perturbation norms in [0, 1] and 0-255 units, and whether the 8-bit PNG still succeeds.
 */
final class AttackReport {
  private AttackReport() {}

  static Map<String, Object> write(Path dir, String title, ResolvedModel model, PixelSpaceModel net, Tensor clean,
      Tensor adversarial, long[] labels, int target, List<String> names) throws java.io.IOException {
    int n = (int) clean.dim(0);
    float[] rgbOut = new float[adversarial.size()];
    float[] png = new float[adversarial.size()];
    // Each image's pictures and norms on its own thread, while the model judges the adversarial images.
    Pictures[] pictures = new Pictures[n];
    java.util.concurrent.CompletableFuture<Void> drawn = java.util.concurrent.CompletableFuture.runAsync(() ->
        java.util.stream.IntStream.range(0, n).parallel().forEach(i -> pictures[i] = draw(clean, adversarial, i, model,
            rgbOut, png)));
    Tensor after = net.logits(adversarial);
    PngBatch.Writing.await(drawn);
    // Every file, the figure naming each adversarial image's class, while the model judges the clean
    // images and the 8-bit PNGs (one run for both).
    PngBatch files = new PngBatch();
    for (int i = 0; i < n; i++) {
      String prefix = String.format("%02d", i);
      files.add(dir.resolve(prefix + "_adversarial.png"), pictures[i].adversarial())
          .add(dir.resolve(prefix + "_difference_x10.png"), pictures[i].difference());
    }
    files.add(dir.resolve("figure.png"), figure(title, model, pictures, labels, after, target));
    Tensor before;
    Tensor pngLogits;
    try (PngBatch.Writing writing = files.start()) {
      Tensor both = net.logits(Tensor.concat(List.of(clean, new Tensor(clean.shape(), png))));
      before = both.slice(0, n);
      pngLogits = both.slice(n, 2 * n);
    }
    List<Map<String, Object>> images = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String prefix = String.format("%02d", i);
      int predicted = ClassScores.argmax(after, i);
      int was = ClassScores.argmax(before, i);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("image", names.get(i));
      r.put("label", labels[i]);
      r.put("predicted_before", was);
      r.put("probability_before", ClassScores.softmax(before, i)[was]);
      r.put("predicted_after", predicted);
      r.put("class_after", model.className(predicted));
      r.put("probability_after", ClassScores.softmax(after, i)[predicted]);
      r.put("success", succeeded(predicted, labels[i], target));
      r.put("perturbation_linf", pictures[i].linf());
      r.put("perturbation_linf_255", pictures[i].linf() * 255);
      r.put("perturbation_l2", pictures[i].l2());
      r.put("perturbation_l2_255", pictures[i].l2() * 255);
      r.put("adversarial", prefix + "_adversarial.png");
      r.put("difference_x10", prefix + "_difference_x10.png");
      r.put("succeeds_after_png", succeeded(ClassScores.argmax(pngLogits, i), labels[i], target));
      images.add(r);
    }
    Npy.write(dir.resolve("adversarial.npy"), new Tensor(adversarial.shape(), rgbOut));
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("success_rate", images.stream().filter(r -> (Boolean) r.get("success")).count() / (double) Math.max(1, n));
    values.put("accuracy_before", accuracy(before, labels));
    values.put("accuracy_after", accuracy(after, labels));
    values.put("adversarial", "adversarial.npy: float32 [0, 1] pixels, RGB, (N, C, H, W)");
    values.put("images", images);
    return values;
  }

  /**
   * Each image's photo (titled with its label), adversarial image (titled with the class the model gives
   * it, and "attack failed" where that is not a success) and amplified difference, one row each.
   */
  static Figure figure(String title, ResolvedModel model, Pictures[] pictures, long[] labels, Tensor after,
      int target) {
    Figure figure = new Figure(title).row();
    for (int i = 0; i < pictures.length; i++) {
      figure.panel(pictures[i].clean(), model.className((int) labels[i]));
    }
    figure.row();
    for (int i = 0; i < pictures.length; i++) {
      int predicted = ClassScores.argmax(after, i);
      String name = model.className(predicted);
      figure.panel(pictures[i].adversarial(), succeeded(predicted, labels[i], target) ? name
          : name + " (attack failed)");
    }
    figure.row();
    for (Pictures q : pictures) {
      figure.panel(q.difference(), "difference x10");
    }
    return figure;
  }

  /**
   * Image i's pictures and perturbation norms; also writes its adversarial pixels (RGB) into {@code rgbOut}
   * and its 8-bit PNG as a model input again (model channel order, [0, 1]) into {@code png}.
   */
  private static Pictures draw(Tensor clean, Tensor adversarial, int i, ResolvedModel model, float[] rgbOut,
      float[] png) {
    int c = (int) clean.dim(1);
    int h = (int) clean.dim(2);
    int w = (int) clean.dim(3);
    int plane = h * w;
    float[][] cleanRgb = rgb(clean, i, model);
    float[][] advRgb = rgb(adversarial, i, model);
    for (int ch = 0; ch < c; ch++) {
      System.arraycopy(advRgb[ch], 0, rgbOut, (i * c + ch) * plane, plane);
    }
    RgbImage advImage = Pixels.toRgb8(advRgb, w, h);
    // The 8-bit PNG as a model input again (model channel order).
    for (int ch = 0; ch < c; ch++) {
      int src = model.preprocessing().imageChannel(ch);
      for (int k = 0; k < plane; k++) {
        png[(i * c + ch) * plane + k] = advImage.rgb()[k * 3 + src] / 255f;
      }
    }
    double linf = 0;
    double l2 = 0;
    float[][] diff = new float[c][plane];
    for (int ch = 0; ch < c; ch++) {
      for (int k = 0; k < plane; k++) {
        double d = advRgb[ch][k] - cleanRgb[ch][k];
        linf = Math.max(linf, Math.abs(d));
        l2 += d * d;
        diff[ch][k] = (float) (0.5 + 10 * d);
      }
    }
    return new Pictures(Pixels.toRgb8(cleanRgb, w, h), advImage, Pixels.toRgb8(diff, w, h), linf, Math.sqrt(l2));
  }

  /** One image's pictures (RGB, 8-bit) and its perturbation's norms in [0, 1] pixels. */
  record Pictures(RgbImage clean, RgbImage adversarial, RgbImage difference, double linf, double l2) {}

  static boolean succeeded(int predicted, long label, int target) {
    return target >= 0 ? predicted == target : predicted != label;
  }

  static double accuracy(Tensor logits, long[] labels) {
    int right = 0;
    for (int i = 0; i < labels.length; i++) {
      right += ClassScores.argmax(logits, i) == labels[i] ? 1 : 0;
    }
    return labels.length == 0 ? 0 : (double) right / labels.length;
  }

  /** Image i of a [0, 1] pixel tensor in RGB planes (the model may take BGR). */
  private static float[][] rgb(Tensor pixels, int i, ResolvedModel model) {
    int c = (int) pixels.dim(1);
    int plane = (int) (pixels.dim(2) * pixels.dim(3));
    float[][] out = new float[c][plane];
    for (int ch = 0; ch < c; ch++) {
      System.arraycopy(pixels.data(), (i * c + ch) * plane, out[model.preprocessing().imageChannel(ch)], 0, plane);
    }
    return out;
  }
}

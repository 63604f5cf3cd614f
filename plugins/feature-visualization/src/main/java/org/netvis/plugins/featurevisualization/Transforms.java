package org.netvis.plugins.featurevisualization;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The random transforms applied to the image before the model sees it, drawn anew at every step:
 * Lucid's {@code standard_transforms} (pad 12 with 0.5, jitter 8, random scale from
 * {@code 1 + (i - 5) / 50}, random rotation from -10..10 degrees with 0 five more times, jitter 4),
 * then a bilinear resize to the model's input size, since an ONNX model and its gradient graph
 * have one input size (Lucid feeds the transformed size as it is).
 *
 * @param pad pixels of 0.5 on every side (0: none)
 * @param jitter the first random crop's reduction in pixels (0: none)
 * @param scales the scale factors to draw from (empty: none)
 * @param rotations the angles in degrees to draw from (empty: none)
 * @param finalJitter the second random crop's reduction (0: none)
 */
record Transforms(int pad, int jitter, List<Double> scales, List<Double> rotations, int finalJitter) {

  static final Transforms NONE = new Transforms(0, 0, List.of(), List.of(), 0);

  static Transforms standard() {
    List<Double> scales = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      scales.add(1 + (i - 5) / 50.0);
    }
    List<Double> rotations = new ArrayList<>();
    for (int a = -10; a <= 10; a++) {
      rotations.add((double) a);
    }
    for (int i = 0; i < 5; i++) {
      rotations.add(0.0);
    }
    return new Transforms(12, 8, scales, rotations, 4);
  }

  Transforms {
    scales = List.copyOf(scales);
    rotations = List.copyOf(rotations);
  }

  /** One draw: the chain of maps from a size x size image to the model's height x width. */
  List<Resampling> draw(Random random, int size, int modelHeight, int modelWidth) {
    return draw(random, size, modelHeight, modelWidth, new Workspace());
  }

  /** {@link #draw(Random, int, int, int)} with a rotation in the workspace's tables, valid until its next draw. */
  List<Resampling> draw(Random random, int size, int modelHeight, int modelWidth, Workspace work) {
    List<Resampling> chain = new ArrayList<>();
    int h = size;
    int w = size;
    if (pad > 0 || jitter > 0) {
      chain.add(paddedCrop(random, h, w, pad, jitter));
      h += 2 * pad - jitter;
      w += 2 * pad - jitter;
    }
    if (!scales.isEmpty()) {
      double s = scales.get(random.nextInt(scales.size()));
      // Lucid: int(scale * shape), truncated.
      int sh = Math.max(1, (int) (s * h));
      int sw = Math.max(1, (int) (s * w));
      if (sh != h || sw != w) {
        chain.add(Resampling.resize(h, w, sh, sw));
        h = sh;
        w = sw;
      }
    }
    if (!rotations.isEmpty()) {
      double angle = rotations.get(random.nextInt(rotations.size()));
      if (angle != 0) {
        chain.add(Resampling.rotate(h, w, angle, work.rotation));
      }
    }
    if (finalJitter > 0) {
      chain.add(paddedCrop(random, h, w, 0, finalJitter));
      h -= finalJitter;
      w -= finalJitter;
    }
    if (h != modelHeight || w != modelWidth) {
      chain.add(Resampling.resize(h, w, modelHeight, modelWidth));
    }
    if (chain.isEmpty()) {
      // Nothing drawn and the model's size: a copy, so that every chain has a last map to write out.
      chain.add(Resampling.window(h, w, 0, 0, h, w, 0f));
    }
    return chain;
  }

  /**
   * Lucid's pad (constant 0.5) by {@code pad}, then tf.random_crop back down by {@code d} (offsets
   * uniform in 0..d, none drawn when d is 0), as one copying map.
   */
  private static Resampling paddedCrop(Random random, int h, int w, int pad, int d) {
    int top = d > 0 ? random.nextInt(d + 1) : 0;
    int left = d > 0 ? random.nextInt(d + 1) : 0;
    return Resampling.window(h, w, top - pad, left - pad, h + 2 * pad - d, w + 2 * pad - d, 0.5f);
  }

  /**
   * Applies a drawn chain to {@code image} ({@code channels} planes of its first map's input size),
   * the last map writing at {@code out[to]} and the ones before it into the workspace's arrays.
   */
  static void apply(List<Resampling> chain, float[] image, int channels, Workspace work, float[] out, int to) {
    float[] x = image;
    for (int i = 0; i < chain.size() - 1; i++) {
      Resampling r = chain.get(i);
      float[] y = work.other(x, channels * r.outPixels());
      r.apply(x, 0, y, 0, channels);
      x = y;
    }
    chain.get(chain.size() - 1).apply(x, 0, out, to, channels);
  }

  /**
   * The chain's adjoint of the gradient at {@code gradient[from]} ({@code channels} planes of its last
   * map's output size): the result is the first {@code channels} planes of its first map's input
   * size in the returned array, one of the workspace's, valid until the workspace's next use.
   */
  static float[] adjoint(List<Resampling> chain, float[] gradient, int from, int channels, Workspace work) {
    float[] g = gradient;
    int at = from;
    for (int i = chain.size() - 1; i >= 0; i--) {
      Resampling r = chain.get(i);
      float[] y = work.other(g, channels * r.inPixels());
      r.adjoint(g, at, y, 0, channels);
      g = y;
      at = 0;
    }
    return g;
  }

  /**
   * Two arrays that a chain's maps write into in turn, and the tables of its rotation, kept by one
   * image from step to step (the images along a chain differ in size with the drawn scale: each array
   * grows to the largest).
   */
  static final class Workspace {
    private float[] first = new float[0];
    private float[] second = new float[0];
    private final Resampling.Tables rotation = new Resampling.Tables();

    /** The workspace's array that is not {@code current}, holding at least {@code size} values. */
    float[] other(float[] current, int size) {
      if (current != first) {
        if (first.length < size) {
          first = new float[size];
        }
        return first;
      }
      if (second.length < size) {
        second = new float[size];
      }
      return second;
    }
  }
}

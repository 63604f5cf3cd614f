package org.netvis.plugins.attacks;

import org.netvis.engine.image.Pixels;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * The classifier seen from [0, 1] pixels (channels in the model's order), with its normalization
 * inside: so that attack budgets mean what they mean in papers. Gives logits and the gradient of
 * the summed cross-entropy with respect to the pixels (negated for targeted attacks, so that every
 * attack ascends).
 */
final class PixelSpaceModel {
  private final Engine engine;
  private final Preprocessing preprocessing;
  private final float[] slope;

  PixelSpaceModel(Engine engine, Preprocessing preprocessing) {
    this.engine = engine;
    this.preprocessing = preprocessing;
    this.slope = Pixels.unitPixelSlope(preprocessing);
  }

  Tensor logits(Tensor pixels) {
    return engine.scores(Pixels.fromUnitPixels(pixels, preprocessing));
  }

  /**
   * d/dx of sum_i CE(logits_i, labels_i) (untargeted: labels are the true classes), or of
   * -sum_i CE(logits_i, target) when targeted. One run of the gradient graph, which forms the
   * cross-entropy's cotangent from the logits itself.
   */
  Tensor lossGradient(Tensor pixels, long[] labels, boolean targeted) {
    return lossGradient(Pixels.fromUnitPixels(pixels, preprocessing), labels, targeted, null);
  }

  /**
   * Loss gradients for the steps of one attack on one thread: each step's normalized input and
   * gradient are written over the arrays of the step before, which the caller no longer reads.
   */
  final class Steps {
    private Tensor normalized;
    private Tensor gradient;

    /** {@link #lossGradient(Tensor, long[], boolean)}; valid until the next call. */
    Tensor lossGradient(Tensor pixels, long[] labels, boolean targeted) {
      normalized = Pixels.fromUnitPixels(pixels, preprocessing, normalized);
      gradient = PixelSpaceModel.this.lossGradient(normalized, labels, targeted, gradient);
      return gradient;
    }
  }

  private Tensor lossGradient(Tensor normalized, long[] labels, boolean targeted, Tensor reuse) {
    Tensor g = engine.crossEntropyVjp(normalized, ClassScores.oneHot(labels, engine.classes()),
        new VjpResult(null, reuse)).inputGradient();
    // A targeted attack descends its loss.
    return toPixels(g, targeted ? -1f : 1f);
  }

  /** The logits of each image and the gradient of sum_i CE(logits_i, labels_i) with respect to the pixels, in one run. */
  VjpResult crossEntropy(Tensor pixels, long[] labels) {
    VjpResult r = engine.crossEntropyVjp(Pixels.fromUnitPixels(pixels, preprocessing),
        ClassScores.oneHot(labels, engine.classes()));
    return new VjpResult(r.logits(), toPixels(r.inputGradient(), 1f));
  }

  /**
   * The logits of each image and the gradient of sum(cotangent * logits) with respect to its pixels, in
   * one run: with one-hot rows, each image's gradient of one class score.
   */
  VjpResult vjp(Tensor pixels, Tensor cotangent) {
    VjpResult r = engine.vjp(Pixels.fromUnitPixels(pixels, preprocessing), cotangent);
    return new VjpResult(r.logits(), toPixels(r.inputGradient(), 1f));
  }

  /** A gradient with respect to the normalized input, in place, as one with respect to the pixels times {@code sign}. */
  private Tensor toPixels(Tensor g, float sign) {
    int channels = (int) g.dim(1);
    int plane = (int) (g.dim(2) * g.dim(3));
    float[] out = g.data();
    for (int from = 0; from < out.length; from += plane) {
      float k = sign * slope[(from / plane) % channels];
      for (int i = from; i < from + plane; i++) {
        out[i] *= k;
      }
    }
    return g;
  }
}

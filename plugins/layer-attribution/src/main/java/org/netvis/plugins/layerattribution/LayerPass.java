package org.netvis.plugins.layerattribution;

import java.util.List;
import java.util.Map;
import org.netvis.engine.attribution.AttributionLayer;
import org.netvis.engine.attribution.Interpolation;
import org.netvis.engine.graph.LrpRules;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * Runs of the model at one layer ({@link AttributionLayer}): its activations A and the gradient G
 * of each image's target score with respect to them, from one gradient graph; the same with DeepLIFT's
 * rescale rule over (image, baseline) pairs; G with the layer's output set to given values while every
 * other path reads the image (a shifted graph, {@link VjpSpec#shifts}); and the layer's attributions in
 * the form the step returns; and LRP's relevance at the layer.
 */
final class LayerPass {
  private final Engine engine;
  private final AttributionLayer layer;
  private final Interpolation interpolation;
  private final VjpSpec read;
  private final VjpSpec set;
  private final VjpSpec rescaled;

  LayerPass(Engine engine, AttributionLayer layer, Interpolation interpolation) {
    this.engine = engine;
    this.layer = layer;
    this.interpolation = interpolation;
    this.read = new VjpSpec(List.of(), List.of(layer.name()), List.of(layer.name()));
    this.set = new VjpSpec(List.of(), List.of(), List.of(layer.name())).withShifts(List.of(layer.name()));
    this.rescaled = read.withBackward(VjpSpec.Backward.DEEPLIFT);
  }

  /** A and G. */
  record Result(Tensor activations, Tensor gradients) {}

  /**
   * A and G for these images and targets (the engine splits a long batch into its own parts),
   * written over the arrays of {@code previous} (a result the caller no longer reads; null for none)
   * where their shapes fit: a path method's chunks then take no fresh layer-sized arrays.
   */
  Result run(Tensor images, long[] targets, Result previous) {
    return result(engine.vjp(images, read, Map.of(seed(), oneHot(targets)), reusable(previous)));
  }

  /**
   * A and the DeepLIFT multipliers at the layer for a batch of pairs, rows 2i and 2i + 1 an image and
   * its baseline, each row seeded at its target ({@link VjpSpec.Backward#DEEPLIFT}); the batch runs
   * whole, so it holds at most the pairs of one call ({@code ReferencePairs.of}); {@code previous} as
   * for {@link #run}.
   */
  Result runPaired(Tensor pairs, long[] targets, Result previous) {
    return result(engine.vjp(pairs, rescaled, Map.of(seed(), oneHot(targets)), reusable(previous)));
  }

  private Result result(Map<String, Tensor> out) {
    return new Result(out.get(layer.name()), out.get(VjpSpec.gradientName(layer.name())));
  }

  private Map<String, Tensor> reusable(Result previous) {
    return previous == null ? Map.of()
        : Map.of(layer.name(), previous.activations(), VjpSpec.gradientName(layer.name()), previous.gradients());
  }

  /** LRP's relevance at the layer and each image's target score. */
  record Relevance(Tensor relevance, double[] scores) {}

  /**
   * The relevance LRP's rules carry back to the layer from a relevance of 1 at each image's target
   * ({@link VjpSpec.Backward#LRP} stopped at the layer), and the target scores from the same run.
   */
  Relevance relevance(Tensor images, long[] targets, LrpRules rules) {
    VjpSpec spec = new VjpSpec(List.of(), List.of(), List.of(layer.name())).withLrp(rules);
    Map<String, Tensor> out = engine.vjp(images, spec, Map.of(seed(), oneHot(targets)));
    float[] logits = out.get(seed()).data();
    int classes = (int) engine.classes();
    double[] scores = new double[targets.length];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = logits[i * classes + (int) targets[i]];
    }
    return new Relevance(out.get(VjpSpec.gradientName(layer.name())), scores);
  }

  /**
   * G where the layer's output is A(images) + {@code shift} (of the layer's shape), written over
   * {@code previous} (an earlier G the caller no longer reads; null for none) where the shapes fit.
   */
  Tensor gradientAt(Tensor images, long[] targets, Tensor shift, Tensor previous) {
    String gradient = VjpSpec.gradientName(layer.name());
    return engine.vjp(images, set, Map.of(seed(), oneHot(targets), VjpSpec.shiftName(layer.name()), shift),
        previous == null ? Map.of() : Map.of(gradient, previous)).get(gradient);
  }

  /**
   * Each row's target score with the layer's output set to that row of {@code values} (of the layer's
   * shape), the rest of the model reading image {@code imageOfRow[k]} of {@code images}.
   */
  double[] scoresAt(Tensor images, int[] imageOfRow, Tensor values, long[] imageTargets) {
    Tensor logits = engine.scoresFromLayer(images, imageOfRow, layer.name(), values);
    int classes = (int) logits.dim(1);
    double[] out = new double[imageOfRow.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = logits.data()[k * classes + (int) imageTargets[imageOfRow[k]]];
    }
    return out;
  }

  /** A alone, by forward passes of at most {@code chunk} images. */
  Tensor activations(Tensor images, int chunk) {
    int n = (int) images.dim(0);
    List<Tensor> parts = new java.util.ArrayList<>();
    for (int start = 0; start < n; start += chunk) {
      parts.add(engine.layerValues(images.slice(start, Math.min(n, start + chunk)), List.of(layer.name()))
          .get(layer.name()));
    }
    return parts.size() == 1 ? parts.get(0) : Tensor.concat(parts);
  }

  /** Whether one image's part of the layer holds its channels last (tokens, or a channels-last map). */
  boolean channelsLast() {
    return layer.channelsLast();
  }

  /** Images per gradient call for a method asking for at most {@code limit}. */
  int callSize(int limit) {
    return engine.gradientCallSize(limit);
  }

  /**
   * Attributions of the layer's shape as the step returns them: channels first (a token tensor as
   * (N, D, grid, grid)), and where an interpolation is chosen, summed over channels and brought to
   * the input's size.
   */
  Tensor output(Tensor attributions, Tensor inputs) {
    Tensor maps = layer.channelsFirst(attributions);
    if (interpolation == Interpolation.NONE) {
      return maps;
    }
    int n = (int) maps.dim(0);
    int c = (int) maps.dim(1);
    int hw = (int) (maps.dim(2) * maps.dim(3));
    float[] sums = new float[n * hw];
    for (int i = 0; i < n; i++) {
      for (int ch = 0; ch < c; ch++) {
        for (int k = 0; k < hw; k++) {
          sums[i * hw + k] += maps.data()[(i * c + ch) * hw + k];
        }
      }
    }
    return interpolation.apply(new Tensor(new long[] {n, 1, maps.dim(2), maps.dim(3)}, sums),
        (int) inputs.dim(2), (int) inputs.dim(3));
  }

  private String seed() {
    return engine.graph().outputName();
  }

  private Tensor oneHot(long[] targets) {
    return ClassScores.oneHot(targets, engine.classes());
  }
}

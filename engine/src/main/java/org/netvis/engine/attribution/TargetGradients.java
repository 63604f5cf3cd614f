package org.netvis.engine.attribution;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/**
 * Gradients and scores of each image's target class, in chunks of at most {@code batchSize} images
 * so that memory stays bounded: the building blocks of gradient attribution methods.
 */
public final class TargetGradients {
  private TargetGradients() {}

  /** d score[i, targets[i]] / d inputs[i] for every image, (N, C, H, W). */
  public static Tensor of(Engine engine, Tensor inputs, long[] targets, int batchSize) {
    return of(engine, VjpSpec.DEFAULT, inputs, targets, batchSize);
  }

  /**
   * The same through the gradient graph of a spec seeded at the logits, such as one with another
   * ReLU backward rule (guided backpropagation, the deconvnet).
   */
  public static Tensor of(Engine engine, VjpSpec spec, Tensor inputs, long[] targets, int batchSize) {
    return of(engine, spec, inputs, targets, batchSize, null);
  }

  /**
   * {@link #of(Engine, Tensor, long[], int)}, writing over {@code reuse} (an earlier result of the
   * same shape that the caller no longer reads, or null) where the images run in one chunk: what a
   * caller that asks for gradients once per batch of path points or samples passes back each time.
   */
  public static Tensor of(Engine engine, Tensor inputs, long[] targets, int batchSize, Tensor reuse) {
    return of(engine, VjpSpec.DEFAULT, inputs, targets, batchSize, reuse);
  }

  private static Tensor of(Engine engine, VjpSpec spec, Tensor inputs, long[] targets, int batchSize, Tensor reuse) {
    return scored(engine, spec, inputs, targets, batchSize, reuse).gradients();
  }

  /** Each image's gradient (through a spec seeded at the logits) and its target's score, from the same runs. */
  public record Scored(Tensor gradients, double[] scores) {}

  /** {@link #of(Engine, VjpSpec, Tensor, long[], int)} with the target scores the runs computed on the way. */
  public static Scored scored(Engine engine, VjpSpec spec, Tensor inputs, long[] targets, int batchSize) {
    return scored(engine, spec, inputs, targets, batchSize, null);
  }

  private static Scored scored(Engine engine, VjpSpec spec, Tensor inputs, long[] targets, int batchSize,
      Tensor reuse) {
    String seed = engine.graph().outputName();
    String gradient = VjpSpec.gradientName(engine.graph().inputName());
    int n = (int) inputs.dim(0);
    int classes = (int) engine.classes();
    Map<String, Tensor> reused = reuse == null || batchSize < n ? Map.of() : Map.of(gradient, reuse);
    List<Tensor> parts = new ArrayList<>();
    double[] scores = new double[n];
    for (int start = 0; start < n; start += batchSize) {
      int end = Math.min(n, start + batchSize);
      Tensor cotangent = ClassScores.oneHot(Arrays.copyOfRange(targets, start, end), classes);
      Map<String, Tensor> out = engine.vjp(chunk(inputs, start, end), spec, Map.of(seed, cotangent), reused);
      parts.add(out.get(gradient));
      float[] logits = out.get(seed).data();
      for (int i = start; i < end; i++) {
        scores[i] = logits[(i - start) * classes + (int) targets[i]];
      }
    }
    return new Scored(parts.size() == 1 ? parts.get(0) : Tensor.concat(parts), scores);
  }

  /** score[i, targets[i]] for every image, in forward passes of at most batchSize images (at least one). */
  public static double[] scores(Engine engine, Tensor inputs, long[] targets, int batchSize) {
    int n = (int) inputs.dim(0);
    int step = Math.max(1, batchSize);
    double[] out = new double[n];
    for (int start = 0; start < n; start += step) {
      int end = Math.min(n, start + step);
      Tensor logits = engine.scores(chunk(inputs, start, end));
      int classes = (int) logits.dim(1);
      for (int i = start; i < end; i++) {
        out[i] = logits.data()[(i - start) * classes + (int) targets[i]];
      }
    }
    return out;
  }

  /**
   * Images [start, end) of the inputs, the inputs themselves where that is all of them: a copy of
   * every batch cost occlusion (64 images of 0.6 MB per forward pass) seconds of collections and
   * gigabytes of heap.
   */
  private static Tensor chunk(Tensor inputs, int start, int end) {
    return start == 0 && end == inputs.dim(0) ? inputs : inputs.slice(start, end);
  }
}

package org.netvis.plugins.featurevisualization;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.netvis.engine.graph.GradientGraphBuilder.LayerTensor;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.tensor.Tensor;

/**
 * Lucid's render loop with its four slots kept apart: an {@link Objective}, an
 * {@link ImageParameterization}, {@link Transforms} and an {@link Optimizer}. A batch of images is
 * optimized together (one gradient pass per step); image b draws its initial parameters and its
 * transforms from {@code SeededRandom.forItem(seed, b)}, so the batch it runs in does not change it.
 */
final class Renderer {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Renderer.class);

  /** Everything but the objective. */
  record Settings(ImageParameterization.Basis basis, boolean decorrelate, double decayPower, Transforms transforms,
      Optimizer.Kind optimizer, double learningRate, int steps, List<Integer> snapshots, int imageSize) {
    Settings {
      snapshots = List.copyOf(snapshots);
    }
  }

  /** Called at each snapshot step (1-based) with the current [0, 1] RGB images. */
  interface Snapshots {
    void at(int step, float[][] images) throws java.io.IOException;
  }

  /** The final images in [0, 1] RGB, each [3, size, size], and the objective's values on them untransformed. */
  record Rendered(float[][] images, int size, double[][] values) {}

  private final Engine engine;
  private final Preprocessing pre;
  private final Map<String, Unit> units = new HashMap<>();
  private final String logits;

  Renderer(Engine engine, Preprocessing pre) {
    this.engine = engine;
    this.pre = pre;
    this.logits = engine.graph().outputName();
    for (LayerTensor l : engine.layers()) {
      if (l.shape().length >= 2 && l.shape().length <= 4) {
        units.put(l.name(), Unit.of(l.name(), l.shape(), l.layout()));
      }
    }
    units.put(logits, new Unit(logits, new long[] {1, engine.classes()}));
  }

  String logits() {
    return logits;
  }

  /**
   * Checks every term against the model before anything runs: tensors on the gradient path (via
   * {@link Engine#layerLookup}), channel indices, vector lengths, neuron positions, image indices.
   */
  static void check(Engine engine, Objective objective, int batch, String key) {
    org.netvis.engine.graph.LayerLookup lookup = engine.layerLookup();
    for (int i = 0; i < objective.terms().size(); i++) {
      Objective.Term t = objective.terms().get(i);
      String at = key + "[" + i + "]." + t.kind().name().toLowerCase(java.util.Locale.ROOT);
      if (t.image() >= batch) {
        throw new IllegalArgumentException(key + "[" + i + "].image: " + t.image() + " is beyond the batch of " + batch
            + " images (0 to " + (batch - 1) + ")");
      }
      if (t.kind() == Objective.Kind.CLASS && t.index() >= engine.classes()) {
        throw new IllegalArgumentException(at + ": " + t.index() + " is not a class of the model (expected 0 to "
            + (engine.classes() - 1) + ")");
      }
      if (t.layer() == null) {
        continue;
      }
      boolean nested = t.kind() != Objective.Kind.LAYER && t.kind() != Objective.Kind.DIVERSITY;
      Unit u = unit(lookup, nested ? at + ".layer" : at, t.layer());
      if ((t.kind() == Objective.Kind.CHANNEL || t.kind() == Objective.Kind.NEURON) && t.index() >= u.channels()) {
        throw new IllegalArgumentException(at + ".index: " + t.index() + " is beyond the " + u.channels()
            + " channels of '" + t.layer() + "' (expected 0 to " + (u.channels() - 1) + ")");
      }
      if (t.kind() == Objective.Kind.NEURON && t.x() >= 0) {
        try {
          u.position(t.x(), t.y());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(at + ": " + e.getMessage());
        }
      }
      if (t.kind() == Objective.Kind.DIRECTION && t.vector().size() != u.channels()) {
        throw new IllegalArgumentException(at + ".vector: has " + t.vector().size() + " values; '" + t.layer()
            + "' has " + u.channels() + " channels");
      }
    }
  }

  /** The named tensor as a unit, or an error starting with {@code key}. */
  static Unit unit(org.netvis.engine.graph.LayerLookup lookup, String key, String layer) {
    LayerTensor l = lookup.find(key, layer);
    try {
      return Unit.of(l.name(), l.shape(), l.layout());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage());
    }
  }

  Rendered render(Objective objective, int batch, Settings s, long seed, Snapshots snapshots, Progress progress)
      throws java.io.IOException {
    return render(objective, batch, 0, s, seed, snapshots, progress);
  }

  /** As above, the images numbered from {@code firstItem} for their seeds (a grid rendered in chunks). */
  Rendered render(Objective objective, int batch, int firstItem, Settings s, long seed, Snapshots snapshots,
      Progress progress) throws java.io.IOException {
    int size = s.imageSize() > 0 ? s.imageSize() : (int) engine.inputHeight();
    int mh = (int) engine.inputHeight();
    int mw = (int) engine.inputWidth();
    // One parameterization per image (each holds its own FFT plan), so that the images' own work, the
    // transforms, (inverse) FFTs and optimizer, runs on every core while ONNX Runtime waits.
    ImageParameterization[] param = new ImageParameterization[batch];
    Random[] random = new Random[batch];
    float[][] params = new float[batch][];
    Optimizer[] optimizers = new Optimizer[batch];
    for (int b = 0; b < batch; b++) {
      param[b] = new ImageParameterization(s.basis(), s.decorrelate(), size, s.decayPower());
      random[b] = SeededRandom.forItem(seed, firstItem + b);
      params[b] = param[b].initial(random[b]);
      optimizers[b] = Optimizer.create(s.optimizer(), s.learningRate(), param[b].parameterCount());
    }
    VjpSpec spec = new VjpSpec(objective.seeds(logits), List.of(), List.of());
    List<String> nonlinear = objective.nonlinearLayers();
    int modelItem = 3 * mh * mw;
    boolean[] moved = new boolean[batch];
    Map<String, Tensor> previous = Map.of(); // the last step's outputs, written over by the next
    // Each image's arrays, written over at every step (fresh ones cost more than the work on them,
    // and their garbage grew the heap to gigabytes).
    float[][] images = new float[batch][3 * size * size];
    Transforms.Workspace[] work = new Transforms.Workspace[batch];
    for (int b = 0; b < batch; b++) {
      work[b] = new Transforms.Workspace();
    }
    float[] transformed = new float[batch * modelItem];
    Tensor input = null; // the model input and the gradient on the pixels, written over at every step
    Tensor pixels = null;
    for (int step = 1; step <= s.steps(); step++) {
      List<List<Resampling>> chains = new ArrayList<>(java.util.Collections.nCopies(batch, null));
      IntStream.range(0, batch).parallel().forEach(b -> {
        param[b].image(params[b], images[b]);
        List<Resampling> chain = s.transforms().draw(random[b], size, mh, mw, work[b]);
        chains.set(b, chain);
        Transforms.apply(chain, images[b], 3, work[b], transformed, b * modelItem);
      });
      input = Pixels.fromRgbUnitPixels(new Tensor(new long[] {batch, 3, mh, mw}, transformed), pre, input);
      Map<String, Tensor> acts = nonlinear.isEmpty() ? Map.of() : engine.activations(input, nonlinear);
      Map<String, Tensor> cotangents = objective.cotangents(batch, logits, units, acts);
      Map<String, Tensor> out = engine.vjp(input, spec, cotangents, previous);
      previous = out;
      Tensor gradient = out.get(VjpSpec.gradientName(engine.graph().inputName()));
      objective.addInputGradient(gradient.data(), input.data(), batch);
      pixels = Pixels.rgbUnitPixelGradient(gradient, pre, pixels);
      float[] pixelGradient = pixels.data();
      IntStream.range(0, batch).parallel().forEach(b -> {
        float[] dImage = Transforms.adjoint(chains.get(b), pixelGradient, b * modelItem, 3, work[b]);
        float[] dParams = param[b].gradient(images[b], dImage);
        moved[b] |= !allZero(dParams);
        optimizers[b].ascend(params[b], dParams);
        param[b].project(params[b]);
      });
      if (snapshots != null && s.snapshots().contains(step)) {
        float[][] now = new float[batch][];
        IntStream.range(0, batch).parallel().forEach(b -> now[b] = param[b].image(params[b]));
        snapshots.at(step, now);
      }
      if (progress != null) {
        progress.step();
      }
    }
    float[][] finals = new float[batch][];
    for (int b = 0; b < batch; b++) {
      finals[b] = param[b].image(params[b]);
      if (!moved[b]) {
        LOG.warn("image {}: the objective's gradient was zero at every step: its units never responded (a unit"
            + " after a ReLU that stays off), so the image is its start; a tensor before the ReLU (see `netvis"
            + " layers`) avoids this", firstItem + b);
      }
    }
    return new Rendered(finals, size, evaluate(objective, finals, size));
  }

  /** The objective's terms on the images as the model sees them untransformed (resized to its input if needed). */
  double[][] evaluate(Objective objective, float[][] images, int size) {
    Tensor input = modelInput(images, size);
    Map<String, Tensor> acts = new LinkedHashMap<>(engine.activations(input, objective.layers()));
    return objective.values(images.length, logits, units, acts, input);
  }

  /** [0, 1] RGB images of side {@code size} as a normalized model batch (resized when the sizes differ). */
  Tensor modelInput(float[][] images, int size) {
    int mh = (int) engine.inputHeight();
    int mw = (int) engine.inputWidth();
    Resampling resize = size == mh && size == mw ? null : Resampling.resize(size, size, mh, mw);
    int item = 3 * mh * mw;
    float[] all = new float[images.length * item];
    for (int b = 0; b < images.length; b++) {
      float[] x = resize == null ? images[b] : resize.apply(images[b], 3);
      System.arraycopy(x, 0, all, b * item, item);
    }
    return Pixels.fromRgbUnitPixels(new Tensor(new long[] {images.length, 3, mh, mw}, all), pre);
  }

  private static boolean allZero(float[] values) {
    for (float v : values) {
      if (v != 0) {
        return false;
      }
    }
    return true;
  }

  Unit unit(String name) {
    return units.get(name);
  }
}

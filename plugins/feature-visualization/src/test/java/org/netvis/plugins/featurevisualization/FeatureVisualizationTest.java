package org.netvis.plugins.featurevisualization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.input.InputLoader;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.runtime.Device;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.spi.Progress;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.SharedData;

/**
 * The acceptance on the pretrained SqueezeNet 1.1: channel visualizations against the
 * largest activation over the assignment's 25 images, the spectrum of fft + decorrelate images
 * against pixel ones, and class visualizations through the fft parameterization.
 */
class FeatureVisualizationTest {
  /** An early, a middle and the last Fire module's output. */
  static final List<String> LAYERS = List.of("/features/features.3/Concat_output_0",
      "/features/features.7/Concat_output_0", "/features/features.12/Concat_output_0");
  static final int[] CHANNELS = {3, 40, 100};
  static final int STEPS = 128;
  /** The channel test runs longer: a visualization keeps gaining there (Lucid renders 512 steps). */
  static final int CHANNEL_STEPS = 256;

  @TempDir static Path cache;
  static Engine engine;

  @BeforeAll
  static void open() throws Exception {
    Path onnx = SharedData.squeezenet();
    ResolvedModel m = new ResolvedModel(ModelDescriptor.forFile(onnx.getFileName().toString(), Preprocessing.IMAGENET),
        onnx, Sha256.of(onnx), List.of());
    engine = Engine.open(m, EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(cache));
  }

  @AfterAll
  static void close() {
    engine.close();
  }

  static Renderer.Settings settings(ImageParameterization.Basis basis, boolean decorrelate, int steps) {
    return new Renderer.Settings(basis, decorrelate, 1, Transforms.standard(), Optimizer.Kind.ADAM, 0.05, steps,
        List.of(), 0);
  }

  static Objective channels(String layer) {
    List<Objective.Term> terms = new ArrayList<>();
    for (int k = 0; k < CHANNELS.length; k++) {
      terms.add(new Objective.Term(Objective.Kind.CHANNEL, layer, CHANNELS[k], -1, -1, null, 0, 1, k));
    }
    return new Objective(terms);
  }

  @Test
  void channelVisualizationsAtLeastDoubleTheLargestActivationOverTheDataSet() throws Exception {
    Tensor images = new InputLoader(Preprocessing.IMAGENET, Long.MAX_VALUE)
        .load(List.of(SharedData.root().resolve("datasets/imagenet_val_25.npz"))).images();
    assertEquals(25, images.dim(0));
    Map<String, Tensor> data = engine.activations(images, LAYERS);
    Renderer renderer = new Renderer(engine, Preprocessing.IMAGENET);
    double smallest = Double.POSITIVE_INFINITY;
    for (String layer : LAYERS) {
      Objective objective = channels(layer);
      Unit u = renderer.unit(layer);
      double[][] values = renderer.render(objective, CHANNELS.length,
          settings(ImageParameterization.Basis.FFT, true, CHANNEL_STEPS), 11, null, Progress.NONE).values();
      for (int k = 0; k < CHANNELS.length; k++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int b = 0; b < 25; b++) {
          max = Math.max(max, Objective.unweighted(objective.terms().get(k), b, "logits", Map.of(layer, u), data, images));
        }
        double ratio = values[k][k] / max;
        System.out.printf("%-40s channel %3d: visualization %8.3f, max over the 25 images %8.3f, ratio %.2f%n", layer,
            CHANNELS[k], values[k][k], max, ratio);
        smallest = Math.min(smallest, ratio);
      }
    }
    assertTrue(smallest >= 2, "smallest ratio " + smallest);
  }

  @Test
  void fourierDecorrelatedImagesHoldLessHighFrequencyEnergyThanPixelOnes() throws Exception {
    Renderer renderer = new Renderer(engine, Preprocessing.IMAGENET);
    Objective objective = channels(LAYERS.get(1));
    Renderer.Rendered fft = renderer.render(objective, 3, settings(ImageParameterization.Basis.FFT, true, STEPS), 5,
        null, Progress.NONE);
    Renderer.Rendered pixel = renderer.render(objective, 3, settings(ImageParameterization.Basis.PIXEL, false, STEPS), 5,
        null, Progress.NONE);
    for (int k = 0; k < 3; k++) {
      double f = RenderedImages.highFrequencyEnergy(fft.images()[k], fft.size());
      double p = RenderedImages.highFrequencyEnergy(pixel.images()[k], pixel.size());
      System.out.printf("channel %3d: energy above half Nyquist fft+decorrelate %.4f, pixel %.4f, ratio %.3f%n",
          CHANNELS[k], f, p, f / p);
      assertTrue(f < 0.5 * p, "channel " + CHANNELS[k] + ": " + f + " vs " + p);
    }
  }

  @Test
  void fourierClassVisualizationsReachProbabilityPointNine() throws Exception {
    int[] classes = {76, 78, 187, 683, 366, 604};
    List<Objective.Term> terms = new ArrayList<>();
    for (int k = 0; k < classes.length; k++) {
      terms.add(new Objective.Term(Objective.Kind.CLASS, null, classes[k], -1, -1, null, 0, 1, k));
    }
    Renderer renderer = new Renderer(engine, Preprocessing.IMAGENET);
    Renderer.Rendered r = renderer.render(new Objective(terms), classes.length,
        settings(ImageParameterization.Basis.FFT, true, STEPS), 3, null, Progress.NONE);
    Tensor logits = engine.scores(renderer.modelInput(r.images(), r.size()));
    for (int k = 0; k < classes.length; k++) {
      double p = ClassScores.softmax(logits, k)[classes[k]];
      System.out.printf("class %3d: softmax %.4f%n", classes[k], p);
      assertTrue(p >= 0.9, "class " + classes[k] + ": " + p);
    }
  }
}

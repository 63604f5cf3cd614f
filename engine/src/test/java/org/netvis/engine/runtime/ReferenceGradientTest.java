package org.netvis.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.SharedData;

/** Logits and input gradients against PyTorch float64 autograd on the shared models. */
class ReferenceGradientTest {
  @TempDir static Path cache;
  static Engine squeezenet;

  static Engine open(Path onnx) throws Exception {
    return open(onnx, cache);
  }

  static Engine open(Path onnx, Path companionCache) throws Exception {
    ResolvedModel m = new ResolvedModel(ModelDescriptor.forFile(onnx.getFileName().toString(), Preprocessing.IMAGENET),
        onnx, Sha256.of(onnx), List.of());
    return Engine.open(m, EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(companionCache));
  }

  @BeforeAll
  static void openSqueezeNet() throws Exception {
    squeezenet = open(SharedData.squeezenet());
  }

  @AfterAll
  static void close() {
    squeezenet.close();
  }

  @Test
  void squeezenetLogitsMatchPyTorch() throws Exception {
    Tensor inputs = Npy.readTensor(SharedData.reference().resolve("inputs.npy"));
    NpyArray expected = Npy.read(SharedData.reference().resolve("logits.npy"));
    Tensor logits = squeezenet.scores(inputs);
    assertArrayEquals(expected.shape(), logits.shape());
    double err = Compare.maxRelative(logits.data(), expected.asDoubles());
    System.out.printf("squeezenet logits: max relative error %.3g%n", err);
    assertTrue(err <= 1e-4, "max relative logits error " + err);
  }

  @Test
  void squeezenetTrueClassGradientMatchesPyTorch() throws Exception {
    Tensor inputs = Npy.readTensor(SharedData.reference().resolve("inputs.npy"));
    long[] labels = Npy.read(SharedData.reference().resolve("labels.npy")).asLongs();
    Tensor cotangent = Tensor.zeros(inputs.dim(0), 1000);
    for (int i = 0; i < labels.length; i++) {
      cotangent.data()[i * 1000 + (int) labels[i]] = 1f;
    }
    VjpResult r = squeezenet.vjp(inputs, cotangent);
    NpyArray expected = Npy.read(SharedData.reference().resolve("grad_true_class_score.npy"));
    assertGradientClose("squeezenet true-class", r.inputGradient(), expected);
  }

  @Test
  void squeezenetRandomCotangentMatchesPyTorch() throws Exception {
    Tensor inputs = Npy.readTensor(SharedData.reference().resolve("inputs.npy"));
    Tensor cotangent = Npy.readTensor(SharedData.reference().resolve("cotangent.npy"));
    VjpResult r = squeezenet.vjp(inputs, cotangent);
    assertGradientClose("squeezenet random-cotangent", r.inputGradient(),
        Npy.read(SharedData.reference().resolve("grad_cotangent.npy")));
    double err = Compare.maxRelative(r.logits().data(), Npy.read(SharedData.reference().resolve("logits.npy")).asDoubles());
    assertTrue(err <= 1e-4, "logits from the gradient graph: " + err);
  }

  @ParameterizedTest
  @ValueSource(strings = {"resnet18-random", "mobilenet_v2-random"})
  void fixtureGradientsMatchPyTorch(String name) throws Exception {
    Path ref = SharedData.fixtureRef(name);
    try (Engine engine = open(SharedData.fixture(name))) {
      Tensor input = Npy.readTensor(ref.resolve("input.npy"));
      VjpResult r = engine.vjp(input, Npy.readTensor(ref.resolve("cotangent.npy")));
      double err = Compare.maxRelative(r.logits().data(), Npy.read(ref.resolve("logits.npy")).asDoubles());
      System.out.printf("%s logits: max relative error %.3g%n", name, err);
      assertTrue(err <= 1e-4, name + " logits max relative error " + err);
      assertGradientClose(name, r.inputGradient(), Npy.read(ref.resolve("grad_input.npy")));
    }
  }

  static void assertGradientClose(String what, Tensor actual, NpyArray expected) {
    assertArrayEquals(expected.shape(), actual.shape());
    double[] errs = Compare.relativeL2PerItem(actual.data(), expected.asDoubles(), (int) actual.dim(0));
    double median = Compare.median(errs);
    double max = Compare.max(errs);
    System.out.printf("%s gradient: per-image relative L2 median %.3g, max %.3g %s%n", what, median, max,
        Arrays.toString(Arrays.stream(errs).mapToObj(e -> String.format("%.2g", e)).toArray()));
    assertTrue(median <= 1e-4, what + ": median relative L2 error " + median);
    assertTrue(max <= 1e-2, what + ": max relative L2 error " + max);
  }
}

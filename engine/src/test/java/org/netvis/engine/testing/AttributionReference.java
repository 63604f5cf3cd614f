package org.netvis.engine.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.netvis.engine.attribution.AttributionStep;
import org.netvis.engine.attribution.GradientShapDraws;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.model.ResolvedModel;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.runtime.Device;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.EngineOptions;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.tensor.Tensor;

/**
 * Runs the independent PyTorch reference ({@code engine/src/test/python/attribution_reference.py},
 * float64 and float32 autograd) on the eight shared photos, and compares netvis' attributions with
 * it the way the attribution issue asks: median per-image relative L2 <= 1e-3 against float64, and
 * no more images above 2e-2 than float32 PyTorch has against float64.
 */
public final class AttributionReference {
  private AttributionReference() {}

  public static Path script() {
    return PythonReference.script("engine", "attribution_reference.py");
  }

  public static Tensor inputs() throws IOException {
    return Npy.readTensor(SharedData.reference().resolve("inputs.npy"));
  }

  public static long[] labels() throws IOException {
    return Npy.read(SharedData.reference().resolve("labels.npy")).asLongs();
  }

  /** Runs the reference for {@code methods} into {@code dir}. */
  public static void compute(Path dir, String... methods) throws Exception {
    List<String> args = new ArrayList<>(List.of(SharedData.squeezenet().toString(),
        SharedData.reference().resolve("inputs.npy").toString(), SharedData.reference().resolve("labels.npy").toString(),
        dir.toString()));
    args.addAll(List.of(methods));
    PythonReference.run(script(), 20, args.toArray(String[]::new));
  }

  /**
   * Writes a GradientSHAP method's draws for the reference to read: {@code METHOD_noisy.npy} and
   * {@code METHOD_base.npy}, (n, samples, C, H, W), and {@code METHOD_alphas.npy}, (n, samples).
   */
  public static void writeDraws(Path dir, String method, List<List<GradientShapDraws.Draw>> draws, long[] imageShape)
      throws IOException {
    int n = draws.size();
    int samples = draws.get(0).size();
    int item = draws.get(0).get(0).noisy().length;
    float[] noisy = new float[n * samples * item];
    float[] base = new float[noisy.length];
    float[] alphas = new float[n * samples];
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < samples; d++) {
        GradientShapDraws.Draw draw = draws.get(i).get(d);
        int q = i * samples + d;
        System.arraycopy(draw.noisy(), 0, noisy, q * item, item);
        System.arraycopy(draw.base(), 0, base, q * item, item);
        alphas[q] = draw.alpha();
      }
    }
    long[] shape = new long[imageShape.length + 1];
    shape[0] = n;
    shape[1] = samples;
    System.arraycopy(imageShape, 1, shape, 2, imageShape.length - 1);
    Npy.write(dir.resolve(method + "_noisy.npy"), new Tensor(shape, noisy));
    Npy.write(dir.resolve(method + "_base.npy"), new Tensor(shape, base));
    Npy.write(dir.resolve(method + "_alphas.npy"), new Tensor(new long[] {n, samples}, alphas));
  }

  public static NpyArray read(Path dir, String name) throws IOException {
    return Npy.read(dir.resolve(name + ".npy"));
  }

  /** Per-image relative L2 of {@code actual} against {@code expected}. */
  public static double[] errors(float[] actual, double[] expected, int images) {
    return Compare.relativeL2PerItem(actual, expected, images);
  }

  /** The acceptance comparison; returns a line for the test log. */
  public static String assertMatches(String what, Tensor actual, Path dir, String method) throws IOException {
    return assertMatches(what, actual, dir, method, 1e-3);
  }

  /**
   * {@link #assertMatches} for a method whose float32 results are themselves far from float64 (LRP's
   * gamma and alpha1_beta0 rules divide by layer outputs near zero): netvis' median error at most
   * float32 PyTorch's, or 1e-3 where that is smaller.
   */
  public static String assertMatchesAsFloat32Does(String what, Tensor actual, Path dir, String method)
      throws IOException {
    NpyArray f32 = read(dir, method + "_f32");
    double torchMedian = Compare.median(errors(f32.toTensor().data(), read(dir, method + "_f64").asDoubles(),
        (int) actual.dim(0)));
    return assertMatches(what, actual, dir, method, Math.max(1e-3, torchMedian));
  }

  private static String assertMatches(String what, Tensor actual, Path dir, String method, double medianLimit)
      throws IOException {
    NpyArray f64 = read(dir, method + "_f64");
    NpyArray f32 = read(dir, method + "_f32");
    assertArrayEquals(f64.shape(), actual.shape(), what + " shape");
    int n = (int) actual.dim(0);
    double[] ours = errors(actual.data(), f64.asDoubles(), n);
    double[] torch32 = errors(f32.toTensor().data(), f64.asDoubles(), n);
    double median = Compare.median(ours);
    long above = Arrays.stream(ours).filter(e -> e > 2e-2).count();
    long torchAbove = Arrays.stream(torch32).filter(e -> e > 2e-2).count();
    String line = String.format("%s: per-image relative L2 vs float64 %s, median %.2e, above 2e-2: %d"
        + " (float32 PyTorch: %s, median %.2e, above 2e-2: %d)", what, format(ours), median, above, format(torch32),
        Compare.median(torch32), torchAbove);
    System.out.println(line);
    assertTrue(median <= medianLimit, line);
    assertTrue(above <= torchAbove, line);
    return line;
  }

  /** n images of standard normal values, 3 x 224 x 224, in the normalized space. */
  public static Tensor gaussian(int n, long seed) {
    java.util.Random random = new java.util.Random(seed);
    Tensor x = Tensor.zeros(n, 3, 224, 224);
    for (int k = 0; k < x.size(); k++) {
      x.data()[k] = (float) random.nextGaussian();
    }
    return x;
  }

  public static String format(double[] v) {
    return Arrays.toString(Arrays.stream(v).mapToObj(e -> String.format("%.1e", e)).toArray());
  }

  /**
   * SqueezeNet 1.1, or a fixture of ../shared, on the CPU, with a step's attribution context over it
   * and the attribution methods found on the test classpath.
   */
  public static final class Setup implements AutoCloseable {
    public final Engine engine;
    public final AttributionStep.StepAttributionContext context;

    public Setup(Path cache, long seed) throws Exception {
      this(SharedData.squeezenet(), "squeezenet1_1.onnx", cache, seed);
    }

    private Setup(Path onnx, String file, Path cache, long seed) throws Exception {
      ResolvedModel m = new ResolvedModel(ModelDescriptor.forFile(file, Preprocessing.IMAGENET), onnx,
          Sha256.of(onnx), List.of());
      engine = Engine.open(m, EngineOptions.defaults().withDevice(Device.CPU).withCompanionCache(cache));
      context = new AttributionStep.StepAttributionContext(engine, m, seed,
          PluginRegistry.discover(List.of()).attributions());
    }

    /** The fixture {@code name} of ../shared/models/fixtures (e.g. swin_tiny_mini-random), seed 0. */
    public static Setup fixture(String name, Path cache) throws Exception {
      return new Setup(SharedData.fixture(name), name + ".onnx", cache, 0);
    }

    @Override
    public void close() {
      engine.close();
    }
  }
}

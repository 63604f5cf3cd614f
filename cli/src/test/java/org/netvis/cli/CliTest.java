package org.netvis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.NpyArray;
import org.netvis.engine.testing.Compare;
import org.netvis.engine.testing.ExternalDataFiles;
import org.netvis.engine.testing.SharedData;
import org.netvis.engine.testing.TestGraph;
import org.netvis.engine.testing.ZooStyleExport;

/** The commands end to end, as a user runs them. */
class CliTest {
  @TempDir Path dir;

  record Run(int status, String out, String err) {}

  /** The java command line that runs {@code netvis args} in a JVM of its own, with this JVM's settings. */
  static List<String> netvisProcess(String classPath, List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", classPath, "-Dnetvis.home=" + System.getProperty("netvis.home"),
        "-Dnetvis.model.path=" + System.getProperty("netvis.model.path"),
        "-Dnetvis.cache=" + System.getProperty("netvis.cache"), "org.netvis.cli.NetvisCommand"));
    command.addAll(List.of(args));
    return command;
  }

  static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int status = NetvisCommand.execute(args);
      return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
      System.out.print(out.toString(StandardCharsets.UTF_8));
    }
  }

  @Test
  void theCommandListGivesEachCommandAWholeSentence() {
    Run r = run("--help");
    assertEquals(0, r.status(), r.err());
    String list = r.out().substring(r.out().indexOf("Commands:"));
    // One entry per subcommand: its name, then its summary wrapped over indented lines.
    String[] entries = list.substring(list.indexOf('\n') + 1).split("\n(?=  \\S)");
    assertEquals(NetvisCommand.SUBCOMMANDS.size(), entries.length, list);
    for (String entry : entries) {
      assertTrue(entry.strip().endsWith("."), "summary cut short: " + entry.strip());
    }
  }

  @Test
  void aMistypedCommandIsRefusedWithTheCommandsItMayMean() {
    Run r = run("rum", "experiment.yaml");
    assertEquals(2, r.status(), r.err());
    assertTrue(r.err().contains("Unmatched arguments from index 0: 'rum'"), r.err());
    assertTrue(r.err().contains("Did you mean: netvis run"), r.err());
  }

  @Test
  void anOptionOfTheRootCommandMayComeBeforeTheSubcommand() {
    Run r = run("-v", "plugins");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("saliency"), r.out());
  }

  @Test
  void vjpOnTheReferenceArraysMatchesPyTorch() throws Exception {
    Path ref = SharedData.reference();
    Path grad = dir.resolve("g.npy");
    Path logits = dir.resolve("l.npy");
    Run r = run("vjp", "--model", "squeezenet1_1", "--device", "cpu", "--input", ref.resolve("inputs.npy").toString(),
        "--cotangent", ref.resolve("cotangent.npy").toString(), "--output", grad.toString(), "--logits", logits.toString());
    assertEquals(0, r.status(), r.err());
    NpyArray g = Npy.read(grad);
    assertEquals(NpyArray.DType.FLOAT32, g.dtype());
    double[] errs = Compare.relativeL2PerItem(g.toTensor().data(), Npy.read(ref.resolve("grad_cotangent.npy")).asDoubles(), 8);
    System.out.printf("netvis vjp: per-image relative L2 median %.3g, max %.3g%n", Compare.median(errs), Compare.max(errs));
    assertTrue(Compare.median(errs) <= 1e-4 && Compare.max(errs) <= 1e-2);
    double logitErr = Compare.maxRelative(Npy.read(logits).toTensor().data(), Npy.read(ref.resolve("logits.npy")).asDoubles());
    assertTrue(logitErr <= 1e-4, "logits " + logitErr);
  }

  @Test
  void vjpWithAMismatchedCotangentFailsWithOneLine() throws Exception {
    Path ref = SharedData.reference();
    Path bad = dir.resolve("bad.npy");
    Npy.write(bad, org.netvis.engine.tensor.Tensor.zeros(3, 1000));
    Run r = run("vjp", "--model", SharedData.squeezenet().toString(), "--device", "cpu",
        "--input", ref.resolve("inputs.npy").toString(), "--cotangent", bad.toString(), "--output", dir.resolve("g.npy").toString());
    assertEquals(1, r.status());
    List<String> errors = r.err().lines().filter(l -> l.startsWith("netvis: error:")).toList();
    assertEquals(List.of("netvis: error: cotangent Tensor[3, 1000] does not fit logits of batch 8;"
        + " expected shape [8, classes]"), errors, r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace without -v: " + r.err());
    assertTrue(Files.notExists(dir.resolve("g.npy")));
  }

  static Stream<String> fixturesWithReferences() throws Exception {
    try (Stream<Path> files = Files.list(SharedData.models().resolve("fixtures"))) {
      return files.filter(p -> p.toString().endsWith(".ref")).map(p -> p.getFileName().toString().replace(".ref", ""))
          .sorted().toList().stream();
    }
  }

  /**
   * Every fixture family through the command a user runs: lower-median per-image relative L2 error
   * of the input gradient <= 1e-4 and every image <= 1e-2 against PyTorch float64 autograd (arrays in
   * the model file's layout, channels-last for the NHWC export).
   */
  @ParameterizedTest
  @MethodSource("fixturesWithReferences")
  void vjpMatchesTheFloat64ReferenceOnEveryFixture(String name) throws Exception {
    Path ref = SharedData.fixtureRef(name);
    Path grad = dir.resolve("g.npy");
    Run r = run("vjp", "--model", SharedData.fixture(name).toString(), "--device", "cpu",
        "--input", ref.resolve("input.npy").toString(), "--cotangent", ref.resolve("cotangent.npy").toString(),
        "--output", grad.toString());
    assertEquals(0, r.status(), r.err());
    NpyArray expected = Npy.read(ref.resolve("grad_input.npy"));
    NpyArray got = Npy.read(grad);
    org.junit.jupiter.api.Assertions.assertArrayEquals(expected.shape(), got.shape());
    double[] errs = Compare.relativeL2PerItem(got.toTensor().data(), expected.asDoubles(), (int) expected.shape()[0]);
    System.out.printf("netvis vjp %s: per-image relative L2 %s, lower median %.3g, max %.3g%n", name,
        java.util.Arrays.toString(errs), Compare.median(errs), Compare.max(errs));
    assertTrue(Compare.median(errs) <= 1e-4, name + " lower median " + Compare.median(errs));
    assertTrue(Compare.max(errs) <= 1e-2, name + " max " + Compare.max(errs));
  }

  @Test
  void layersListsTheTensorsOnTheGradientPathWithOpShapeLayoutAndNode() {
    Run r = run("layers", "squeezenet1_1", "--device", "cpu");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("65 tensors on the gradient path"), r.out());
    assertTrue(r.out().matches("(?s).*/features/features\\.12/Concat_output_0 +Concat +\\[N, 512, 13, 13] +NCHW +"
        + "/features/features\\.12/Concat.*"), r.out());
    // torchvision's Swin normalizes its last stage channels-last, then permutes it to channels first.
    Run swin = run("layers", SharedData.fixture("swin_tiny_mini-random").toString(), "--device", "cpu");
    assertEquals(0, swin.status(), swin.err());
    assertTrue(swin.out().matches("(?s).*\n/norm/LayerNormalization_output_0 +LayerNormalization +\\[N, 7, 7, 192] +"
        + "NHWC +/norm/LayerNormalization\n/permute/Transpose_output_0 +Transpose +\\[N, 192, 7, 7] +NCHW .*"),
        swin.out());
    Run vit = run("layers", SharedData.fixture("vit_tiny-random").toString(), "--device", "cpu");
    assertEquals(0, vit.status(), vit.err());
    assertTrue(vit.out().contains("[N, 50, 96]") && vit.out().contains("LayerNormalization"), vit.out());
    // Shape arithmetic does not depend on the pixels: it is no layer.
    assertTrue(vit.out().lines().noneMatch(l -> l.contains(" Shape ") || l.contains(" Cast ")), vit.out());
  }

  @Test
  void layersListsTheModulesWithTheTensorsTheirNamesStandFor() {
    Run r = run("layers", "squeezenet1_1", "--modules", "--device", "cpu");
    assertEquals(0, r.status(), r.err());
    List<String> lines = r.out().lines().toList();
    // Outer modules first, each with its last tensor on the path.
    assertTrue(lines.get(0).startsWith("squeezenet1_1: "), r.out());
    assertTrue(lines.get(2).matches("features +\\[N, 512, 13, 13] +/features/features\\.12/Concat_output_0"), r.out());
    assertTrue(lines.get(3).matches("features\\.0 +\\[N, 64, 111, 111] +/features/features\\.0/Conv_output_0"), r.out());
    assertTrue(r.out().contains("features.3.expand3x3_activation"), r.out());
    assertTrue(lines.stream().anyMatch(l -> l.matches("classifier +\\[N, 1000, 1, 1] +/classifier/classifier\\.3/"
        + "GlobalAveragePool_output_0")), r.out());
  }

  @Test
  void layersSaysSoWhenAModelHasNoModules() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    Path model = g.save(dir, "plain", g.op("Sigmoid", List.of(g.op("Relu", List.of("x")))));
    Run r = run("layers", model.toString(), "--modules", "--device", "cpu");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("plain: no modules: its nodes are not named by PyTorch module"), r.out());
    Run tensors = run("layers", model.toString(), "--device", "cpu");
    assertTrue(tensors.out().contains("Relu_node_"), tensors.out());
  }

  static Stream<String> sharedModels() throws Exception {
    try (Stream<Path> files = Files.walk(SharedData.models())) {
      return files.filter(p -> p.toString().endsWith(".onnx")).map(Path::toString).sorted().toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("sharedModels")
  void checkModelPassesOnEverySharedModel(String model) {
    Run r = run("check-model", model, "--device", "cpu");
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("check-model: PASS"), r.out());
    // Only the LRN fixture has LRN nodes, which the forward pass runs as window sums.
    String forward = model.contains("lrn_zoo_style") ? "LRN recomputed from its window sums (2 nodes)" : "as written";
    assertTrue(r.out().contains("forward    " + forward + "\n"), r.out());
  }

  @Test
  void checkModelPassesOnAZooStyleExport() throws Exception {
    Path zoo = ZooStyleExport.write(SharedData.squeezenet(), dir.resolve("squeezenet1.1-7-style.onnx"));
    Run r = run("check-model", zoo.toString(), "--device", "cpu");
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("check-model: PASS"), r.out());
  }

  /** The ResNet-18 fixture with its weights in a data file, checked against its float64 reference gradients. */
  @Test
  void checkModelReadsWeightsFromAnExternalDataFile() throws Exception {
    Path model = dir.resolve("resnet18-random.onnx");
    ai.onnx.proto.OnnxMl.ModelProto inside = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(
        Files.readAllBytes(SharedData.fixture("resnet18-random")));
    Files.write(model, ExternalDataFiles.externalize(inside, dir, "resnet18-random.onnx.data").toByteArray());
    Run r = run("check-model", model.toString(), "--device", "cpu", "--reference",
        SharedData.fixtureRef("resnet18-random").toString());
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("data       resnet18-random.onnx.data (sha256 "
        + org.netvis.engine.model.Sha256.of(dir.resolve("resnet18-random.onnx.data")) + ")"), r.out());
    assertTrue(r.out().contains("read from resnet18-random.onnx.data beside the model file"), r.out());
    assertTrue(r.out().contains("reference  " + SharedData.fixtureRef("resnet18-random") + ": per-image relative L2"),
        r.out());
    assertTrue(r.out().contains("check-model: PASS"), r.out());
  }

  @Test
  void checkModelFailsWithStatus3WhenTheToleranceCannotBeMet() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    Path model = g.save(dir, "tiny", g.op("Sigmoid", List.of("x")));
    Run r = run("check-model", model.toString(), "--device", "cpu", "--size", "4", "--tolerance", "0");
    assertEquals(3, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("check-model: FAIL"), r.out());
  }

  /** A quantized model's finite differences see the staircase of its scores, so they do not decide. */
  @Test
  void checkModelDoesNotCountFiniteDifferencesOfAQuantizedModel() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    String scale = g.floats(new float[] {0.1f});
    String zero = g.integers(ai.onnx.proto.OnnxMl.TensorProto.DataType.UINT8_VALUE, new long[] {128});
    String dq = g.op("DequantizeLinear", List.of(g.op("QuantizeLinear", List.of("x", scale, zero)), scale, zero));
    Path model = g.save(dir, "quantized", g.op("Sigmoid", List.of(dq)));
    Run r = run("check-model", model.toString(), "--device", "cpu", "--size", "4");
    assertEquals(3, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("note       the file quantizes 1 tensor computed from the image"), r.out());
    assertTrue(r.out().contains("not counted: a quantized model's scores are piecewise constant and its gradient is"
        + " straight-through; a reference decides"), r.out());
    assertTrue(r.out().contains("check-model: INCONCLUSIVE"), r.out());
  }

  @Test
  void modelsListsTheSqueezeNetDescriptorAndWhereItResolves() {
    Run r = run("models");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("squeezenet1_1"), r.out());
    assertTrue(r.out().contains("5b050a17c1c50c3d2125ebd624718795d6c68dc1f5d35d10cbf5b65a8ef5e4b5 (known)"), r.out());
    assertTrue(r.out().contains("gradient  "), r.out());
  }

  @Test
  void unknownModelIdListsTheSearchPath() {
    Run r = run("check-model", "no_such_model", "--device", "cpu");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("unknown model 'no_such_model'") && r.err().contains("known ids: ")
        && r.err().contains("squeezenet1_1") && r.err().contains("inception_v1"), r.err());
  }

  @Test
  void aModelIdOneSlipAwayIsSuggested() throws Exception {
    Run r = run("check-model", "squeezenet1.1", "--device", "cpu");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("unknown model 'squeezenet1.1' (did you mean 'squeezenet1_1'?)"), r.err());
    Path experiment = dir.resolve("typo.yaml");
    Files.writeString(experiment, "name: typo\nmodel: squeezenet1_l\ninputs: [x.npy]\nsteps: [{technique: saliency}]\n");
    Run typo = run("run", experiment.toString(), "--out", dir.resolve("typo").toString());
    assertEquals(1, typo.status());
    assertTrue(typo.err().contains("model: unknown model 'squeezenet1_l' (did you mean 'squeezenet1_1'?)"), typo.err());
  }
}

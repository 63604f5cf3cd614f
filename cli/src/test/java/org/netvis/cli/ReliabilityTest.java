package org.netvis.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.testing.SharedData;
import org.netvis.engine.testing.TestGraph;

/**
 * Bad input and faults through the command line: a non-zero exit, one "netvis: error:" line on stderr
 * naming the file, key or node (stack traces only with -v), and nothing corrupt on disk.
 */
class ReliabilityTest {
  @TempDir Path dir;

  static void assertOneErrorLine(CliTest.Run r, int status, String... fragments) {
    assertEquals(status, r.status(), r.out() + r.err());
    List<String> errors = r.err().lines().filter(l -> l.startsWith("netvis: error: ")).toList();
    assertEquals(1, errors.size(), r.err());
    for (String f : fragments) {
      assertTrue(errors.get(0).contains(f), "«" + f + "» in «" + errors.get(0) + "»");
    }
    assertFalse(r.err().contains("\tat "), "no stack trace without -v: " + r.err());
  }

  @Test
  void aMissingModelFile() {
    Path missing = dir.resolve("nowhere/model.onnx");
    assertOneErrorLine(CliTest.run("check-model", missing.toString()), 1, "model file " + missing + " does not exist");
  }

  @Test
  void aFileThatIsNotOnnx() throws Exception {
    Path bad = dir.resolve("notes.onnx");
    Files.writeString(bad, "these are my notes, not a model\n".repeat(10));
    assertOneErrorLine(CliTest.run("check-model", bad.toString(), "--device", "cpu"), 1, bad.toString(), "not a");
  }

  @Test
  void aTruncatedOnnxFile() throws Exception {
    byte[] bytes = Files.readAllBytes(SharedData.squeezenet());
    Path cut = dir.resolve("cut.onnx");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
    assertOneErrorLine(CliTest.run("check-model", cut.toString(), "--device", "cpu"), 1, cut.toString(),
        "not a readable ONNX model");
  }

  @Test
  void aModelWhoseSha256TheDescriptorDoesNotKnowIsRefused() throws Exception {
    Path models = Files.createDirectories(dir.resolve("models"));
    TestGraph g = new TestGraph(17, 1, 3, 8, 8);
    Path file = g.save(models, "lookalike", g.op("GlobalAveragePool", List.of("x")), 3);
    String known = "0".repeat(64);
    Files.writeString(models.resolve("lookalike.yaml"), "id: lookalike\nfile: lookalike.onnx\nsha256: [" + known + "]\n"
        + "preprocessing: {resize: 8, crop: 8, color: RGB, scale: 255.0, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]}\n");
    String before = System.getProperty("netvis.model.path");
    System.setProperty("netvis.model.path", models.toString());
    try {
      assertOneErrorLine(CliTest.run("check-model", "lookalike", "--device", "cpu"), 1, file.toString(),
          "matches none of the known values for model 'lookalike' [" + known + "]");
    } finally {
      System.setProperty("netvis.model.path", before);
    }
  }

  @Test
  void anUnsupportedOperatorNamesItsNodeAndTheSupportedList() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    Path model = g.save(dir, "reduce_prod", g.op("ReduceProd", List.of("x"), "axes", new long[] {1}, "keepdims", 0L));
    assertOneErrorLine(CliTest.run("check-model", model.toString(), "--device", "cpu", "--size", "4"), 1,
        "operator ReduceProd (node 'ReduceProd_node_1') has no gradient rule", "supported operators: Abs, ", "BatchNormalization, ", "Conv, ");
  }

  /** If whose branches read the image from the outer scope: it depends on the input, and is refused by name. */
  @Test
  void controlFlowOnTheGradientPathNamesItsNode() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    ModelProto m = g.model("branch_out");
    ai.onnx.proto.OnnxMl.GraphProto thenBranch = ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName("then")
        .addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Relu").addInput("x").addOutput("then_out"))
        .addOutput(TestGraph.value("then_out", -1, 2, 4, 4)).build();
    ai.onnx.proto.OnnxMl.GraphProto elseBranch = ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName("else")
        .addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Neg").addInput("x").addOutput("else_out"))
        .addOutput(TestGraph.value("else_out", -1, 2, 4, 4)).build();
    ModelProto.Builder b = m.toBuilder();
    b.getGraphBuilder().addInitializer(ai.onnx.proto.OnnxMl.TensorProto.newBuilder().setName("cond")
        .setDataType(ai.onnx.proto.OnnxMl.TensorProto.DataType.BOOL_VALUE).addInt32Data(1));
    b.getGraphBuilder().addNode(0, ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("If").setName("choose_branch")
        .addInput("cond").addOutput("branch_out")
        .addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("then_branch")
            .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.GRAPH).setG(thenBranch))
        .addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("else_branch")
            .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.GRAPH).setG(elseBranch)));
    Path model = dir.resolve("branchy.onnx");
    Files.write(model, b.build().toByteArray());
    assertOneErrorLine(CliTest.run("check-model", model.toString(), "--device", "cpu", "--size", "4"), 1,
        "operator If (node 'choose_branch') is control flow on the gradient path", "supported operators: Abs");
  }

  @Test
  void aChannelsLastModelWithFourChannelsIsRefused() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    ModelProto m = g.model(g.op("GlobalAveragePool", List.of(g.op("Transpose", List.of("x"), "perm", new long[] {0, 3, 1, 2}))));
    ModelProto.Builder b = m.toBuilder();
    b.getGraphBuilder().setInput(0, TestGraph.value("x", -1, 8, 8, 4));
    Path model = dir.resolve("rgba_nhwc.onnx");
    Files.write(model, b.build().toByteArray());
    assertOneErrorLine(CliTest.run("check-model", model.toString(), "--device", "cpu"), 1,
        model + ": channels-last input 'x' has shape [N, 8, 8, 4], 4 channels per pixel; expected (N, H, W, 3)");
  }

  @Test
  void anInputThatIsNeitherNchwNorNhwcIsRefusedWithItsShape() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    ModelProto.Builder b = g.model(g.op("Relu", List.of("x"))).toBuilder();
    b.getGraphBuilder().setInput(0, TestGraph.value("x", -1, 16, 8, 8));
    Path model = dir.resolve("wide.onnx");
    Files.write(model, b.build().toByteArray());
    assertOneErrorLine(CliTest.run("check-model", model.toString(), "--device", "cpu"), 1,
        "input 'x' has shape [N, 16, 8, 8], which is neither NCHW (N, 3, H, W) nor channels-last (N, H, W, 3)");
  }

  @Test
  void aModelWithTwoInputsIsRefused() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    ModelProto.Builder b = g.model(g.op("Add", List.of("x", "mask"))).toBuilder();
    b.getGraphBuilder().addInput(TestGraph.value("mask", -1, 2, 4, 4));
    Path model = dir.resolve("two.onnx");
    Files.write(model, b.build().toByteArray());
    assertOneErrorLine(CliTest.run("check-model", model.toString(), "--device", "cpu"), 1,
        model + ": expected exactly one image input, found [x, mask]");
  }

  @Test
  void aModelWithAnIntegerInputIsRefused() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    ModelProto.Builder b = g.model(g.op("Relu", List.of(g.op("Cast", List.of("x"), "to", 1L)))).toBuilder();
    ai.onnx.proto.OnnxMl.ValueInfoProto.Builder in = TestGraph.value("x", -1, 3, 4, 4).toBuilder();
    in.getTypeBuilder().getTensorTypeBuilder().setElemType(ai.onnx.proto.OnnxMl.TensorProto.DataType.INT64_VALUE);
    b.getGraphBuilder().setInput(0, in);
    Path model = dir.resolve("ints.onnx");
    Files.write(model, b.build().toByteArray());
    assertOneErrorLine(CliTest.run("check-model", model.toString(), "--device", "cpu"), 1,
        model + ": input 'x' is int64 [N, 3, 4, 4]; expected a 4-D float image tensor");
  }

  @Test
  void anInputThatIsNot4dFloat() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    ModelProto m = g.model(g.op("Relu", List.of("x")));
    ModelProto.Builder b = m.toBuilder();
    b.getGraphBuilder().setInput(0, TestGraph.value("x", -1, 32));
    Path model = dir.resolve("flat.onnx");
    Files.write(model, b.build().toByteArray());
    assertOneErrorLine(CliTest.run("check-model", model.toString(), "--device", "cpu"), 1,
        model + ": input 'x' is float [N, 32]; expected a 4-D float image tensor (N, C, H, W)");
  }

  @Test
  void anOutputThatIsNotBatchByClasses() throws Exception {
    TestGraph g = new TestGraph(17, 1, 2, 4, 4);
    ModelProto m = g.model(g.op("Relu", List.of("x")));
    ModelProto.Builder b = m.toBuilder();
    b.getGraphBuilder().setOutput(0, TestGraph.value("logits", -1, 2, 16));
    Path model = dir.resolve("cube.onnx");
    Files.write(model, b.build().toByteArray());
    assertOneErrorLine(CliTest.run("check-model", model.toString(), "--device", "cpu"), 1,
        model + ": output 'logits' is float [N, 2, 16]; expected float scores of shape (batch, classes)");
  }

  @Test
  void cudaWithoutAGpuFailsTheRunClearly() throws Exception {
    if (Files.exists(Path.of("/dev/nvidia0"))) {
      return; // this machine has a GPU: the cuda device is legitimately available
    }
    Path f = experiment("gpu", "  - technique: saliency\n");
    Path out = dir.resolve("gpu-run");
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", out.toString(), "--set", "device=cuda");
    assertOneErrorLine(r, 1, "run failed: device cuda was requested but no NVIDIA GPU device was found");
    JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
    assertEquals("failed", m.get("status").asText());
  }

  @Test
  void aGradientOfZerosStopsFoolingWithAMessage() throws Exception {
    // Scores = 0 * x + bias: the gradient is exactly zero everywhere.
    TestGraph g = new TestGraph(17, 1, 3, 8, 8);
    String pooled = g.op("GlobalAveragePool", List.of(g.op("Mul", List.of("x", g.floats(new float[] {0f})))));
    String scores = g.op("Add", List.of(pooled, g.floats(new float[] {1f, 2f, 3f}, 1, 3, 1, 1)));
    Path model = g.save(dir, "flat", scores, 3);
    Path f = dir.resolve("zero.yaml");
    Files.writeString(f, "name: zero\nmodel: flat.onnx\ndevice: cpu\ninputs: ['" + SharedData.root().resolve("images/00_hay.png")
        + "']\nlabels: [2]\nsteps: [{technique: fooling, params: {target: 0}}]\n");
    Path out = dir.resolve("zero-run");
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", out.toString());
    assertOneErrorLine(r, 1, "step 0 (fooling) failed: the gradient of class 0 for image 0 is all zeros at step 0");
    assertFalse(Files.exists(out.resolve("0-fooling")), "no half-written step");
  }

  @Test
  void aNonFiniteGradientStopsSaliencyAndNoNanReachesAPng() throws Exception {
    TestGraph g = new TestGraph(17, 1, 3, 8, 8);
    String pooled = g.op("GlobalAveragePool", List.of(g.op("Mul", List.of("x", g.floats(new float[] {Float.NaN})))));
    Path model = g.save(dir, "nan", g.op("Add", List.of(pooled, g.floats(new float[] {1f, 2f, 3f}, 1, 3, 1, 1))), 3);
    Path f = dir.resolve("nan.yaml");
    Files.writeString(f, "name: nan\nmodel: nan.onnx\ndevice: cpu\ninputs: ['" + SharedData.root().resolve("images/00_hay.png")
        + "']\nlabels: [1]\nsteps: [{technique: saliency}]\n");
    Path out = dir.resolve("nan-run");
    CliTest.Run r = CliTest.run("run", f.toString(), "--out", out.toString());
    assertOneErrorLine(r, 1, "step 0 (saliency) failed: the input gradient of image 0 holds NaN or infinite values");
    try (var s = Files.walk(out)) {
      assertTrue(s.noneMatch(p -> p.toString().endsWith(".png")), "no PNG was written from NaN values");
    }
  }

  @Test
  void verboseShowsTheStackTrace() {
    CliTest.Run r = CliTest.run("-v", "check-model", dir.resolve("missing.onnx").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("\tat "), r.err());
  }

  private Path experiment(String name, String steps) throws Exception {
    Path f = dir.resolve(name + ".yaml");
    Files.writeString(f, "name: " + name + "\nmodel: squeezenet1_1\ndevice: cpu\ninputs: ['"
        + SharedData.root().resolve("images/00_hay.png") + "']\nsteps:\n" + steps);
    return f;
  }

  @Test
  void sigtermDuringAStepEndsInterruptedAndKeepsCompletedSteps() throws Exception {
    Path f = experiment("long", "  - technique: saliency\n  - technique: class-visualization\n"
        + "    params: {targets: [187], num_iterations: 5000}\n");
    Path out = dir.resolve("long-run");
    Path partial = dir.resolve(".long-run.partial");
    ProcessBuilder pb = new ProcessBuilder(CliTest.netvisProcess(System.getProperty("java.class.path"), List.of(),
        "run", f.toString(), "--out", out.toString()));
    pb.redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile());
    Process p = pb.start();
    long deadline = System.currentTimeMillis() + 120_000;
    while (!Files.isDirectory(partial.resolve("1-class-visualization")) && System.currentTimeMillis() < deadline) {
      assertTrue(p.isAlive(), "the run is still going: " + Files.readString(dir.resolve("child.log")));
      Thread.sleep(100);
    }
    Thread.sleep(500);
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the run stops after SIGTERM");
    String log = Files.readString(dir.resolve("child.log"));
    assertEquals(143, p.exitValue(), log);
    JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
    assertEquals("interrupted", m.get("status").asText(), m.toString());
    assertEquals("interrupted by a signal (Ctrl-C or SIGTERM)", m.get("reason").asText());
    assertTrue(Files.isRegularFile(out.resolve("0-saliency/saliency.npy")), "the completed step is kept");
    assertFalse(Files.exists(out.resolve("1-class-visualization")), "the interrupted step's files are removed");
    assertFalse(Files.exists(partial), "no temporary directory is left");
    assertFalse(Files.exists(dir.resolve(".long-run.lock")), "no lock file is left");
    assertTrue(Files.isRegularFile(out.resolve("report.html")));
  }
}

package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.netvis.engine.testing.ExternalDataFiles.entry;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.model.Sha256;
import org.netvis.engine.runtime.Engine;
import org.netvis.engine.runtime.VjpResult;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.ExternalDataFiles;
import org.netvis.engine.testing.GradientCheck;
import org.netvis.engine.testing.PythonReference;
import org.netvis.engine.testing.RandomTensors;
import org.netvis.engine.testing.SharedData;
import org.netvis.engine.testing.TestGraph;

/**
 * Models that keep their tensors' values in external data files (the form PyTorch's exporter writes by
 * default since 2.9) are read with those values: the expectation is the same model with every value
 * inside the file, which ONNX's own writer (the onnx package) or this test moved out.
 */
class ExternalDataTest {
  @TempDir Path dir;

  @Test
  void theOnnxWritersFormsGiveTheScoresAndGradientsOfTheModelWithItsValuesInside() throws Exception {
    // ResNet-18 as PyTorch writes it (one data file; also in a subdirectory); the ViT with every tensor,
    // its Constant nodes' too, in a file of its own.
    for (Map.Entry<String, List<String>> fixture : Map.of("resnet18-random", List.of("one", "sub"),
        "vit_tiny-random", List.of("split")).entrySet()) {
      String name = fixture.getKey();
      Path inline = SharedData.fixture(name);
      Path out = dir.resolve(name);
      PythonReference.run(PythonReference.script("engine", "external_data.py"), 5, inline.toString(), out.toString());
      Map<String, List<Float>> expectedValues = values(ModelGraph.read(inline).proto());
      Tensor x = RandomTensors.gaussian(new Random(5), 1, 1, 3, 224, 224);
      try (Engine expected = GradientCheck.open(inline, dir.resolve("cache"))) {
        Tensor ct = RandomTensors.gaussian(new Random(6), 1, 1, expected.classes());
        VjpResult want = expected.vjp(x, ct);
        for (String form : fixture.getValue()) {
          Path file = out.resolve(form).resolve(name + ".onnx");
          Set<Path> dataFiles = new TreeSet<>();
          try (Stream<Path> files = Files.walk(file.getParent())) {
            files.filter(f -> Files.isRegularFile(f) && !f.equals(file)).forEach(dataFiles::add);
          }
          assertTrue(Files.size(file) < 200_000, form + ": the writer left the weights in the model file");
          ModelGraph graph = ModelGraph.read(file);
          assertEquals(dataFiles, new TreeSet<>(graph.externalData()), form);
          assertFalse(graph.asWritten(), form);
          assertEquals(expectedValues, values(graph.proto()), form + ": values read differ from the file's own");
          String note = graph.note("weights");
          assertTrue(note.endsWith(form.equals("split") ? "from " + dataFiles.size() + " data files beside the model file"
              : "from " + file.getParent().relativize(dataFiles.iterator().next()) + " beside the model file"), note);
          try (Engine engine = GradientCheck.open(file, dir.resolve("cache"))) {
            Map<String, String> digests = engine.model().externalData();
            assertEquals(dataFiles.size(), digests.size(), form);
            for (Path d : dataFiles) {
              assertEquals(Sha256.of(d), digests.get(file.getParent().relativize(d).toString()), form + " " + d);
            }
            assertNotEquals(engine.model().sha256(), engine.model().weightsSha256(), form);
            VjpResult got = engine.vjp(x, ct);
            assertArrayEquals(want.logits().data(), got.logits().data(), form + ": scores");
            assertArrayEquals(want.inputGradient().data(), got.inputGradient().data(), form + ": gradient");
            // The companion graph saved beside the model refers to the data files for the weights it
            // shares with the model, as the model does, instead of copying them: ONNX Runtime loads it
            // from its own path, and an engine opened again reuses it.
            Path companion = engine.gradientGraph(VjpSpec.DEFAULT, 224, 224).file();
            assertEquals(file.getParent(), companion.getParent(), form);
            long mapped = graph.proto().getGraph().getInitializerList().stream()
                .filter(t -> t.getRawData().size() >= ExternalData.MAPPED_FROM_BYTES).count();
            long referring = ModelProto.parseFrom(Files.readAllBytes(companion)).getGraph().getInitializerList().stream()
                .filter(t -> t.getDataLocation() == TensorProto.DataLocation.EXTERNAL).count();
            assertTrue(mapped > 10 && referring == mapped, form + ": " + referring + " of " + mapped);
            // Nor does it copy weights derived from them (the convolutions' adjoint weights).
            long dataBytes = 0;
            for (Path d : dataFiles) {
              dataBytes += Files.size(d);
            }
            assertTrue(Files.size(companion) < dataBytes / 4, form + ": " + Files.size(companion) + " of " + dataBytes);
            org.netvis.engine.runtime.OrtEnvironments.get().createSession(companion.toString(),
                new ai.onnxruntime.OrtSession.SessionOptions()).close();
          }
          try (Engine again = GradientCheck.open(file, dir.resolve("cache"))) {
            assertFalse(again.gradientGraph(VjpSpec.DEFAULT, 224, 224).rebuilt(), form);
            assertArrayEquals(want.inputGradient().data(), again.vjp(x, ct).inputGradient().data(), form);
          }
        }
      }
    }
  }

  /** Conv, Relu, a Constant node's scale, Conv, global pool: every tensor worth moving out. */
  private static ModelProto smallModel(float sign) {
    TestGraph g = new TestGraph(17, 11, 3, 8, 8);
    String c1 = g.op("Conv", List.of("x", g.floats(RandomTensors.gaussian(new Random(1), 1, 4, 3, 3, 3).data(), 4, 3, 3, 3),
        g.floats(scaled(RandomTensors.gaussian(new Random(2), 1, 4).data(), sign), 4)), "pads", new long[] {1, 1, 1, 1});
    String r = g.op("Relu", List.of(c1));
    String scale = g.op("Constant", List.of(), "value", TensorProtos.floats("scale", new long[] {1, 4, 1, 1},
        scaled(RandomTensors.gaussian(new Random(3), 1, 4).data(), sign)));
    String c2 = g.op("Conv", List.of(g.op("Mul", List.of(r, scale)),
        g.floats(scaled(RandomTensors.gaussian(new Random(4), 1, 5, 4, 3, 3).data(), sign), 5, 4, 3, 3)));
    return g.model(g.op("GlobalAveragePool", List.of(c2)), 5);
  }

  private static float[] scaled(float[] v, float by) {
    for (int i = 0; i < v.length; i++) {
      v[i] *= by;
    }
    return v;
  }

  private static Map<String, List<Float>> values(ModelProto m) {
    Map<String, List<Float>> out = new HashMap<>();
    new ModelRewrite() {
      @Override
      protected TensorProto tensor(TensorProto t) {
        if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
          float[] v = TensorProtos.toFloats(t);
          List<Float> list = new java.util.ArrayList<>();
          for (float f : v) {
            list.add(f);
          }
          out.put(t.getName(), list);
        }
        return t;
      }
    }.apply(m);
    return out;
  }

  @Test
  void aDataFileChangedBesideAnUnchangedModelFileIsAnotherModel() throws Exception {
    Path model = dir.resolve("m").resolve("small.onnx");
    Files.createDirectories(model.getParent());
    Files.write(model, ExternalDataFiles.externalize(smallModel(1), model.getParent(), "small.onnx.data").toByteArray());
    byte[] modelBytes = Files.readAllBytes(model);
    Tensor x = RandomTensors.gaussian(new Random(7), 1, 2, 3, 8, 8);
    Tensor ct = RandomTensors.gaussian(new Random(8), 1, 2, 5);
    Path cache = dir.resolve("cache");
    try (Engine engine = GradientCheck.open(model, cache)) {
      assertTrue(engine.gradientGraph(VjpSpec.DEFAULT, 8, 8).rebuilt());
    }
    try (Engine engine = GradientCheck.open(model, cache)) {
      assertFalse(engine.gradientGraph(VjpSpec.DEFAULT, 8, 8).rebuilt(), "the same files: the saved graph is reused");
    }
    // Other weights in the data file (negated biases, scale and second kernel); the model file is the same.
    Path other = dir.resolve("other").resolve("small.onnx");
    Files.createDirectories(other.getParent());
    Files.write(other, ExternalDataFiles.externalize(smallModel(-1), other.getParent(), "small.onnx.data").toByteArray());
    assertArrayEquals(modelBytes, Files.readAllBytes(other), "the test meant to change only the data file");
    Files.copy(other.resolveSibling("small.onnx.data"), model.resolveSibling("small.onnx.data"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Path inline = dir.resolve("inline.onnx");
    Files.write(inline, smallModel(-1).toByteArray());
    try (Engine expected = GradientCheck.open(inline, cache); Engine engine = GradientCheck.open(model, cache)) {
      assertTrue(engine.gradientGraph(VjpSpec.DEFAULT, 8, 8).rebuilt(), "a graph derived from the old weights was reused");
      VjpResult want = expected.vjp(x, ct);
      VjpResult got = engine.vjp(x, ct);
      assertArrayEquals(want.logits().data(), got.logits().data());
      assertArrayEquals(want.inputGradient().data(), got.inputGradient().data());
    }
  }

  @Test
  void aVariantWithOtherWeightsInOneLayerKeepsReferringToTheDataFilesForTheRest() throws Exception {
    // The sanity check's redrawn copies: the first Conv's weights (7 KB, read) drawn anew, the second's
    // (74 KB, mapped) still the data file's, whose adjoint ONNX Runtime then derives as it loads the graph.
    TestGraph g = new TestGraph(17, 11, 3, 8, 8);
    String first = g.op("Conv", List.of("x", g.floats(RandomTensors.gaussian(new Random(1), 1, 64, 3, 3, 3).data(),
        64, 3, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    String second = g.op("Conv", List.of(g.op("Relu", List.of(first)), g.floats(
        RandomTensors.gaussian(new Random(2), 0.1, 32, 64, 3, 3).data(), 32, 64, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    ModelProto inside = g.model(g.op("GlobalAveragePool", List.of(second)), 32);
    Written files = writtenBothWays(inside, "two");
    Tensor x = RandomTensors.gaussian(new Random(3), 1, 2, 3, 8, 8);
    Tensor ct = RandomTensors.gaussian(new Random(4), 1, 2, 32);
    try (Engine outside = GradientCheck.open(files.outside(), dir.resolve("cache"));
        Engine within = GradientCheck.open(files.inside(), dir.resolve("cache"))) {
      assertEquals(1, mapped(outside.graph()), "the second Conv's weights are mapped");
      for (Engine engine : List.of(outside, within)) {
        ModelProto redrawn = redrawn(engine.graph().proto(), RandomTensors.gaussian(new Random(5), 1, 64, 3, 3, 3));
        try (Engine variant = engine.openVariant("variant.onnx", redrawn)) {
          assertEquals(engine == outside ? 1 : 0, mapped(variant.graph()));
          VjpResult got = variant.vjp(x, ct);
          if (engine == outside) {
            try (Engine variantWithin = within.openVariant("variant.onnx", redrawn(within.graph().proto(),
                RandomTensors.gaussian(new Random(5), 1, 64, 3, 3, 3)))) {
              VjpResult want = variantWithin.vjp(x, ct);
              assertArrayEquals(want.logits().data(), got.logits().data());
              assertArrayEquals(want.inputGradient().data(), got.inputGradient().data());
              assertFalse(java.util.Arrays.equals(want.inputGradient().data(), within.vjp(x, ct).inputGradient().data()),
                  "the redrawn weights changed the gradient");
            }
          }
        }
      }
    }
  }

  /**
   * A gradient graph of a model whose weights are in a data file holds no weights of its own: the
   * convolutions' adjoint weights, also of one that reads a channel Concat (SqueezeNet's Fire modules,
   * whose adjoint is otherwise split by slices of the weights), of a grouped one and of a strided
   * depthwise one, are derived by ONNX Runtime as it loads the graph; the gradient is the inline
   * model's, bit for bit.
   */
  @Test
  void aGradientGraphHoldsNoWeightsOfItsOwnWhereTheyAreInADataFile() throws Exception {
    TestGraph g = new TestGraph(17, 11, 3, 8, 8);
    String left = g.op("Relu", List.of(g.op("Conv", List.of("x", g.floats(
        RandomTensors.gaussian(new Random(1), 0.5, 16, 3, 1, 1).data(), 16, 3, 1, 1)))));
    String right = g.op("Relu", List.of(g.op("Conv", List.of("x", g.floats(
        RandomTensors.gaussian(new Random(2), 0.5, 16, 3, 3, 3).data(), 16, 3, 3, 3)), "pads", new long[] {1, 1, 1, 1})));
    String joined = g.op("Concat", List.of(left, right), "axis", 1L);
    String conv = g.op("Conv", List.of(joined, g.floats(RandomTensors.gaussian(new Random(3), 0.1, 64, 32, 3, 3).data(),
        64, 32, 3, 3)), "pads", new long[] {1, 1, 1, 1});
    // Two groups, then a strided depthwise 13x13: adjoint weights regrouped from the data file's.
    String grouped = g.op("Conv", List.of(g.op("Tanh", List.of(conv)), g.floats(
        RandomTensors.gaussian(new Random(6), 0.05, 128, 32, 3, 3).data(), 128, 32, 3, 3)), "group", 2L,
        "pads", new long[] {1, 1, 1, 1});
    String depthwise = g.op("Conv", List.of(g.op("Tanh", List.of(grouped)), g.floats(
        RandomTensors.gaussian(new Random(7), 0.05, 128, 1, 13, 13).data(), 128, 1, 13, 13)), "group", 128L,
        "strides", new long[] {2, 2}, "pads", new long[] {6, 6, 6, 6});
    ModelProto inside = g.model(g.op("GlobalAveragePool", List.of(depthwise)), 128);
    Written files = writtenBothWays(inside, "fire");
    Tensor x = RandomTensors.gaussian(new Random(4), 1, 2, 3, 8, 8);
    Tensor ct = RandomTensors.gaussian(new Random(5), 1, 2, 128);
    try (Engine outside = GradientCheck.open(files.outside(), dir.resolve("cache"));
        Engine within = GradientCheck.open(files.inside(), dir.resolve("cache"))) {
      assertEquals(3, mapped(outside.graph()), "three convolutions' weights are mapped");
      assertArrayEquals(within.vjp(x, ct).inputGradient().data(), outside.vjp(x, ct).inputGradient().data());
      Path companion = outside.gradientGraph(VjpSpec.DEFAULT, 8, 8).file();
      long largest = ModelProto.parseFrom(Files.readAllBytes(companion)).getGraph().getInitializerList().stream()
          .filter(t -> t.getDataType() == TensorProto.DataType.FLOAT_VALUE)
          .mapToLong(t -> t.getRawData().size() + 4L * t.getFloatDataCount()).max().orElse(0);
      assertTrue(largest < 64 * 3 * 3 * 4, "a float tensor of " + largest + " bytes in " + companion);
    }
  }

  /** A model written with its values in a data file beside it, and with them inside. */
  private record Written(Path outside, Path inside) {}

  private Written writtenBothWays(ModelProto model, String name) throws java.io.IOException {
    Path outside = dir.resolve(name).resolve(name + ".onnx");
    Files.createDirectories(outside.getParent());
    Files.write(outside, ExternalDataFiles.externalize(model, outside.getParent(), name + ".onnx.data").toByteArray());
    Path inside = dir.resolve(name + "-inline.onnx");
    Files.write(inside, model.toByteArray());
    return new Written(outside, inside);
  }

  /** How many of the graph's initializers hold the bytes mapped from its data files. */
  private static long mapped(ModelGraph graph) {
    return graph.proto().getGraph().getInitializerList().stream().filter(graph.dataFiles()::holds).count();
  }

  /** The model with its first initializer of 64 x 3 x 3 x 3 floats replaced by {@code weights}. */
  private static ModelProto redrawn(ModelProto m, Tensor weights) {
    var g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getDimsList().equals(List.of(64L, 3L, 3L, 3L))) {
        g.setInitializer(i, TensorProtos.floats(g.getInitializer(i).getName(), weights.shape(), weights.data()));
      }
    }
    return m.toBuilder().setGraph(g).build();
  }

  private String refusal(UnaryOperator<List<StringStringEntryProto>> entries, String location) throws Exception {
    Path model = dir.resolve("bad").resolve("small.onnx");
    Files.createDirectories(model.getParent());
    Files.write(model, ExternalDataFiles.externalize(smallModel(1), model.getParent(), location, entries).toByteArray());
    return assertThrows(GraphBuildException.class, () -> ModelGraph.read(model)).getMessage();
  }

  private static UnaryOperator<List<StringStringEntryProto>> with(String key, String value) {
    return e -> e.stream().map(x -> x.getKey().equals(key) ? entry(key, value) : x).toList();
  }

  @Test
  void aDataFileThatCannotHoldTheValuesIsRefusedNamingTheTensorAndTheFile() throws Exception {
    String missing = refusal(with("location", "gone.data"), "small.onnx.data");
    assertTrue(missing.contains("small.onnx: tensor '") && missing.contains("'gone.data', which is not in"), missing);

    String cut = refusal(with("offset", "100000"), "small.onnx.data");
    assertTrue(cut.contains("takes bytes 100000 to") && cut.contains("of 'small.onnx.data', which holds"), cut);

    String length = refusal(with("length", "12"), "small.onnx.data");
    assertTrue(length.contains("gives length 12 bytes; its shape") && length.contains("of float takes"), length);

    String offset = refusal(with("offset", "-8"), "small.onnx.data");
    assertTrue(offset.contains("'offset' is '-8'; expected a byte count, 0 or more"), offset);

    String outside = refusal(e -> e, "../outside.data");
    assertTrue(outside.contains("'../outside.data' lies outside the model's directory"), outside);

    String absolute = refusal(with("location", dir.resolve("bad").resolve("small.onnx.data").toString()),
        "small.onnx.data");
    assertTrue(absolute.contains("is an absolute path"), absolute);

    // One tensor larger than a protobuf field can hold is refused before anything is read.
    TensorProto huge = TensorProto.newBuilder().setName("huge").setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(600_000_000L).setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(entry("location", "huge.data")).build();
    ModelProto m = smallModel(1);
    ModelProto big = m.toBuilder().setGraph(m.getGraph().toBuilder().addInitializer(huge)).build();
    String tooLarge = assertThrows(GraphBuildException.class,
        () -> ModelGraph.parse(big.toByteArray(), dir.resolve("big.onnx"), null)).getMessage();
    assertTrue(tooLarge.contains("big.onnx: tensor 'huge': it takes 2400000000 bytes; netvis holds a tensor of at"
        + " most 2 GB"), tooLarge);

    // Bytes without a file to look beside are refused by name.
    Path model = dir.resolve("bytes").resolve("small.onnx");
    Files.createDirectories(model.getParent());
    byte[] bytes = ExternalDataFiles.externalize(smallModel(1), model.getParent(), "small.onnx.data").toByteArray();
    String noFile = assertThrows(GraphBuildException.class, () -> ModelGraph.parse(bytes, "in memory")).getMessage();
    assertTrue(noFile.contains("in memory: the model keeps tensors in external data files"), noFile);
  }
}

package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.netvis.engine.testing.ExternalDataFiles.entry;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.UnsafeByteOperations;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netvis.engine.testing.TestGraph;

/**
 * A model whose weights exceed protobuf's 2 GB limit for one message: its data file is mapped, not
 * read, and the graphs netvis derives from it refer to that file again instead of copying it. The
 * data file is sparse (2.2 GB of zeros that take no disk), and the test's heap could not hold it.
 */
class DataFilesTest {
  private static final long TABLE_FLOATS = 275_000_000L;
  private static final long TABLE_BYTES = TABLE_FLOATS * Float.BYTES;
  private static final long SECOND_OFFSET = 1_100_001_280L; // page-aligned, as aligned writers place tensors

  @TempDir Path dir;

  @Test
  void weightsBeyondTwoGigabytesStayInTheirFileAndDerivedGraphsReferToIt() throws Exception {
    Path model = writeModel();
    ModelGraph graph = ModelGraph.read(model);
    assertEquals(List.of(model.resolveSibling("big.onnx.data")), graph.externalData());
    assertTrue(graph.note("weights").startsWith("2 tensors (2200.0 MB) read from big.onnx.data"), graph.note("weights"));

    // The model itself, and a copy read again through every rewrite netvis applies to a file (the
    // sanity check's variants are), serialize small, each table where the file's own entries put it.
    ModelGraph variant = graph.withProto(graph.proto().toBuilder().setDocString("a variant").build(), "variant");
    for (ModelGraph g : List.of(graph, variant)) {
      byte[] bytes = g.serialize(g.proto());
      assertTrue(bytes.length < 10_000, bytes.length + " bytes");
      Map<String, String> offsets = new TreeMap<>();
      for (TensorProto t : ModelProto.parseFrom(bytes).getGraph().getInitializerList()) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
          assertTrue(t.getRawData().isEmpty(), t.getName());
          offsets.put(t.getName(), entries(t.getExternalDataList()));
        }
      }
      assertEquals(Map.of("table_a", "big.onnx.data@0+1100000000", "table_b", "big.onnx.data@" + SECOND_OFFSET
          + "+1100000000"), offsets);
    }

    // Tensors holding other bytes than the mapped ones (here: the same region mapped again) are the
    // message's own, and 2.2 GB of them are refused, naming the largest.
    ModelProto copied;
    try (FileChannel channel = FileChannel.open(model.resolveSibling("big.onnx.data"))) {
      TensorProto a = initializer(graph.proto(), "table_a");
      TensorProto b = initializer(graph.proto(), "table_b");
      copied = replaceInitializers(graph.proto(),
          a.toBuilder().setRawData(UnsafeByteOperations.unsafeWrap(channel.map(FileChannel.MapMode.READ_ONLY, 0,
              TABLE_BYTES))).build(),
          b.toBuilder().setRawData(UnsafeByteOperations.unsafeWrap(channel.map(FileChannel.MapMode.READ_ONLY,
              SECOND_OFFSET, TABLE_BYTES))).build());
    }
    String refused = assertThrows(GraphBuildException.class, () -> graph.serialize(copied)).getMessage();
    assertTrue(refused.startsWith(model + ": a graph netvis derived from the model holds 2.20 GB of tensors that are"
        + " not in the model's data files (the largest: 'table_a' (1100.0 MB), 'table_b' (1100.0 MB)"), refused);
  }

  /**
   * A Conv classifier beside two 1.1 GB tables (float32, all zeros) in a sparse data file, which it
   * declares as initializers without reading them (enough for what this test reads: the graph).
   */
  private Path writeModel() throws Exception {
    TestGraph g = new TestGraph(17, 11, 3, 8, 8);
    String conv = g.op("Conv", List.of("x", g.floats(new float[3 * 3 * 3 * 3], 3, 3, 3, 3)));
    ModelProto m = g.model(g.op("GlobalAveragePool", List.of(conv)), 3);
    TensorProto a = table("table_a", 0);
    TensorProto b = table("table_b", SECOND_OFFSET);
    ModelProto big = m.toBuilder().setGraph(m.getGraph().toBuilder().addInitializer(a).addInitializer(b)).build();
    Path model = dir.resolve("big.onnx");
    Files.write(model, big.toByteArray());
    try (RandomAccessFile data = new RandomAccessFile(dir.resolve("big.onnx.data").toFile(), "rw")) {
      data.setLength(SECOND_OFFSET + TABLE_BYTES);
    }
    return model;
  }

  private static TensorProto table(String name, long offset) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(TABLE_FLOATS)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL).addExternalData(entry("location", "big.onnx.data"))
        .addExternalData(entry("offset", Long.toString(offset)))
        .addExternalData(entry("length", Long.toString(TABLE_BYTES))).build();
  }

  private static String entries(List<StringStringEntryProto> list) {
    Map<String, String> e = new TreeMap<>();
    list.forEach(x -> e.put(x.getKey(), x.getValue()));
    return e.get("location") + "@" + e.get("offset") + "+" + e.get("length");
  }

  private static TensorProto initializer(ModelProto m, String name) {
    return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
  }

  private static ModelProto replaceInitializers(ModelProto m, TensorProto... replacements) {
    var g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      for (TensorProto r : replacements) {
        if (g.getInitializer(i).getName().equals(r.getName())) {
          g.setInitializer(i, r);
        }
      }
    }
    return m.toBuilder().setGraph(g).build();
  }
}

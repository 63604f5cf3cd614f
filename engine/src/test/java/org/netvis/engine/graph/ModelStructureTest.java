package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A model read without its weights: everything as saved but the initializers' values. */
class ModelStructureTest {

  private static TensorProto tensor(String name, int n) {
    float[] values = new float[n];
    Arrays.fill(values, 0.25f);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(n).setDocString("weights of " + name);
    for (float v : values) {
      t.addFloatData(v);
    }
    return t.build();
  }

  /** A model whose initializers hold their values in raw bytes, in float_data and in a sparse tensor. */
  private static ModelProto model() {
    TensorProto raw = TensorProto.newBuilder().setName("w_raw").setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(1000).setRawData(ByteString.copyFrom(new byte[4000])).build();
    SparseTensorProto sparse = SparseTensorProto.newBuilder().setValues(tensor("w_sparse", 3))
        .setIndices(TensorProto.newBuilder().setName("w_sparse_indices").setDataType(TensorProto.DataType.INT64_VALUE)
            .addDims(3).addInt64Data(0).addInt64Data(4).addInt64Data(7))
        .addDims(10).build();
    // A subgraph's initializer is not the main graph's: it keeps its values.
    GraphProto branch = GraphProto.newBuilder().setName("branch").addInitializer(tensor("w_branch", 2)).build();
    GraphProto graph = GraphProto.newBuilder().setName("g")
        .addNode(NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("w_raw").addOutput("y"))
        .addNode(NodeProto.newBuilder().setOpType("If").addInput("c").addOutput("z")
            .addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("then_branch")
                .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.GRAPH).setG(branch)))
        .addInitializer(raw).addInitializer(tensor("w_float", 5)).addSparseInitializer(sparse)
        .addInput(ValueInfoProto.newBuilder().setName("x")).addOutput(ValueInfoProto.newBuilder().setName("y"))
        .build();
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("test").setGraph(graph)
        .addMetadataProps(StringStringEntryProto.newBuilder().setKey("k").setValue("v")).build();
  }

  @Test
  void everythingButTheMainGraphsInitializerValues() throws Exception {
    ModelProto full = model();
    ModelProto structure = ModelStructure.read(full.toByteArray());

    GraphProto.Builder expected = full.getGraph().toBuilder();
    expected.getInitializerBuilder(0).clearRawData();
    expected.getInitializerBuilder(1).clearFloatData();
    expected.getSparseInitializerBuilder(0).getValuesBuilder().clearFloatData();
    expected.getSparseInitializerBuilder(0).getIndicesBuilder().clearInt64Data();
    assertEquals(full.toBuilder().setGraph(expected).build(), structure);
    assertEquals(2, structure.getGraph().getNode(1).getAttribute(0).getG().getInitializer(0).getFloatDataCount());
  }

  @Test
  void aTruncatedModelIsRejected() {
    byte[] bytes = model().toByteArray();
    byte[] half = Arrays.copyOf(bytes, bytes.length / 2);
    assertThrows(InvalidProtocolBufferException.class, () -> ModelStructure.read(half));
  }
}

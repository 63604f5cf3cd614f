package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.Set;

/**
 * A serialized model read without its weights: every field as saved except the values of the main
 * graph's initializers (their names, types and shapes stay). For what netvis reads back from a
 * saved graph (metadata, inputs, outputs, nodes) while ONNX Runtime loads the bytes themselves:
 * parsing SqueezeNet's 10 MB gradient graph whole in Java took as long as ONNX Runtime's own load.
 */
public final class ModelStructure {
  private ModelStructure() {}

  /** The values of a tensor, in whichever field holds them. */
  private static final Set<Integer> TENSOR_VALUES = Set.of(TensorProto.FLOAT_DATA_FIELD_NUMBER,
      TensorProto.INT32_DATA_FIELD_NUMBER, TensorProto.STRING_DATA_FIELD_NUMBER, TensorProto.INT64_DATA_FIELD_NUMBER,
      TensorProto.RAW_DATA_FIELD_NUMBER, TensorProto.DOUBLE_DATA_FIELD_NUMBER, TensorProto.UINT64_DATA_FIELD_NUMBER);

  /** Which message a field holds, where it is one the reader descends into. */
  private enum Level { MODEL, GRAPH, SPARSE_TENSOR, TENSOR }

  /** Reads the serialized model. */
  public static ModelProto read(byte[] serialized) throws InvalidProtocolBufferException {
    try {
      CodedInputStream in = CodedInputStream.newInstance(serialized);
      return ModelProto.parseFrom(copy(in, Level.MODEL));
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException e) {
      throw new InvalidProtocolBufferException(e);
    }
  }

  /** The fields of one message up to the input's current limit, values of initializers left out. */
  private static ByteString copy(CodedInputStream in, Level level) throws IOException {
    ByteString.Output bytes = ByteString.newOutput();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = WireFormat.getTagFieldNumber(tag);
      Level inner = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED ? inner(level, field) : null;
      if (level == Level.TENSOR && TENSOR_VALUES.contains(field)) {
        in.skipField(tag);
      } else if (inner != null) {
        int limit = in.pushLimit(in.readRawVarint32());
        out.writeBytes(field, copy(in, inner));
        in.popLimit(limit);
      } else {
        in.skipField(tag, out);
      }
    }
    out.flush();
    return bytes.toByteString();
  }

  private static Level inner(Level level, int field) {
    return switch (level) {
      case MODEL -> field == ModelProto.GRAPH_FIELD_NUMBER ? Level.GRAPH : null;
      case GRAPH -> field == GraphProto.INITIALIZER_FIELD_NUMBER ? Level.TENSOR
          : field == GraphProto.SPARSE_INITIALIZER_FIELD_NUMBER ? Level.SPARSE_TENSOR : null;
      case SPARSE_TENSOR -> field == SparseTensorProto.VALUES_FIELD_NUMBER
          || field == SparseTensorProto.INDICES_FIELD_NUMBER ? Level.TENSOR : null;
      case TENSOR -> null;
    };
  }
}

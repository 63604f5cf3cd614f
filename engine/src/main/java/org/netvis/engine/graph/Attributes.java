package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.Optional;

/** Reads and makes node attributes. */
public final class Attributes {
  private Attributes() {}

  public static Optional<AttributeProto> find(NodeProto node, String name) {
    for (AttributeProto a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  public static long getInt(NodeProto node, String name, long fallback) {
    return find(node, name).map(AttributeProto::getI).orElse(fallback);
  }

  public static float getFloat(NodeProto node, String name, float fallback) {
    return find(node, name).map(AttributeProto::getF).orElse(fallback);
  }

  public static String getString(NodeProto node, String name, String fallback) {
    return find(node, name).map(a -> a.getS().toStringUtf8()).orElse(fallback);
  }

  /** The ints of an attribute, or null when absent. */
  public static long[] getInts(NodeProto node, String name) {
    return find(node, name).map(a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray()).orElse(null);
  }

  public static float[] getFloats(NodeProto node, String name) {
    return find(node, name).map(a -> {
      float[] out = new float[a.getFloatsCount()];
      for (int i = 0; i < out.length; i++) {
        out[i] = a.getFloats(i);
      }
      return out;
    }).orElse(null);
  }

  public static AttributeProto of(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  public static AttributeProto of(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
  }

  public static AttributeProto of(String name, String value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
  }

  public static AttributeProto of(String name, long[] values) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      b.addInts(v);
    }
    return b.build();
  }

  public static AttributeProto of(String name, TensorProto value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(value).build();
  }

  /** A copy of the node without the named attributes. */
  public static NodeProto without(NodeProto node, String... names) {
    NodeProto.Builder b = node.toBuilder().clearAttribute();
    outer:
    for (AttributeProto a : node.getAttributeList()) {
      for (String n : names) {
        if (a.getName().equals(n)) {
          continue outer;
        }
      }
      b.addAttribute(a);
    }
    return b.build();
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Encodes and decodes the constant tensors (initializers, Constant values) the builder reads and writes. */
public final class TensorProtos {
  private TensorProtos() {}

  public static TensorProto floats(String name, long[] shape, float[] values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
    for (long d : shape) {
      b.addDims(d);
    }
    // The array is this method's own: wrapped, not copied again.
    return b.setRawData(UnsafeByteOperations.unsafeWrap(buf.array())).build();
  }

  public static TensorProto longs(String name, long[] shape, long[] values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    buf.asLongBuffer().put(values);
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE);
    for (long d : shape) {
      b.addDims(d);
    }
    return b.setRawData(ByteString.copyFrom(buf.array())).build();
  }

  /**
   * An integer tensor's values as DequantizeLinear computes them in float32: (q - zero) * scale, with
   * a one-element scale and zero point for every value or one per slice along {@code axis}.
   *
   * @param zero null for a zero point of 0
   */
  public static float[] dequantized(TensorProto levels, float[] scale, long[] zero, long axis) {
    long[] q = toLongs(levels);
    long[] dims = shape(levels);
    boolean perAxis = scale.length > 1 || (zero != null && zero.length > 1);
    int a = perAxis ? (int) (axis < 0 ? axis + dims.length : axis) : 0;
    long inner = 1;
    for (int i = a + 1; perAxis && i < dims.length; i++) {
      inner *= dims[i];
    }
    float[] values = new float[q.length];
    for (int i = 0; i < q.length; i++) {
      int c = perAxis ? (int) ((i / inner) % dims[a]) : 0;
      values[i] = (q[i] - (zero == null ? 0 : zero[zero.length == 1 ? 0 : c])) * scale[scale.length == 1 ? 0 : c];
    }
    return values;
  }

  public static long[] shape(TensorProto t) {
    return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  public static boolean isExternal(TensorProto t) {
    return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
  }

  /** Values of a float, double, float16, bfloat16 or integer tensor as floats (the 16-bit ones exactly). */
  public static float[] toFloats(TensorProto t) {
    requireInline(t);
    int n = count(t);
    float[] out = new float[n];
    ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    switch (t.getDataType()) {
      case TensorProto.DataType.FLOAT_VALUE -> {
        if (!t.getRawData().isEmpty()) {
          raw.asFloatBuffer().get(out);
        } else {
          for (int i = 0; i < n; i++) {
            out[i] = t.getFloatData(i);
          }
        }
      }
      case TensorProto.DataType.DOUBLE_VALUE -> {
        for (int i = 0; i < n; i++) {
          out[i] = (float) (t.getRawData().isEmpty() ? t.getDoubleData(i) : raw.getDouble(i * 8));
        }
      }
      case TensorProto.DataType.FLOAT16_VALUE, TensorProto.DataType.BFLOAT16_VALUE -> {
        boolean half = t.getDataType() == TensorProto.DataType.FLOAT16_VALUE;
        for (int i = 0; i < n; i++) {
          // Stored as 16-bit words in raw_data, or one word per int32_data entry.
          int bits = (t.getRawData().isEmpty() ? t.getInt32Data(i) : raw.getShort(i * 2)) & 0xffff;
          out[i] = half ? halfToFloat(bits) : Float.intBitsToFloat(bits << 16);
        }
      }
      default -> {
        long[] l = toLongs(t);
        for (int i = 0; i < n; i++) {
          out[i] = l[i];
        }
      }
    }
    return out;
  }

  /** Values of an integer tensor (64, 32, 16 or 8 bits, signed or not) as longs. */
  public static long[] toLongs(TensorProto t) {
    requireInline(t);
    int n = count(t);
    long[] out = new long[n];
    ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    boolean hasRaw = !t.getRawData().isEmpty();
    switch (t.getDataType()) {
      case TensorProto.DataType.INT64_VALUE -> {
        for (int i = 0; i < n; i++) {
          out[i] = hasRaw ? raw.getLong(i * 8) : t.getInt64Data(i);
        }
      }
      case TensorProto.DataType.INT32_VALUE -> {
        for (int i = 0; i < n; i++) {
          out[i] = hasRaw ? raw.getInt(i * 4) : t.getInt32Data(i);
        }
      }
      case TensorProto.DataType.INT8_VALUE, TensorProto.DataType.UINT8_VALUE, TensorProto.DataType.INT16_VALUE,
          TensorProto.DataType.UINT16_VALUE -> {
        // raw_data holds 1 or 2 bytes an element; int32_data one element an entry.
        boolean wide = t.getDataType() == TensorProto.DataType.INT16_VALUE
            || t.getDataType() == TensorProto.DataType.UINT16_VALUE;
        boolean signed = t.getDataType() == TensorProto.DataType.INT8_VALUE
            || t.getDataType() == TensorProto.DataType.INT16_VALUE;
        for (int i = 0; i < n; i++) {
          long v = !hasRaw ? t.getInt32Data(i) : wide ? raw.getShort(i * 2) : raw.get(i);
          out[i] = signed ? v : v & (wide ? 0xffff : 0xff);
        }
      }
      case TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.DOUBLE_VALUE -> {
        float[] f = toFloats(t);
        for (int i = 0; i < n; i++) {
          out[i] = (long) f[i];
        }
      }
      default -> throw new GraphBuildException("constant tensor '" + t.getName() + "' has data type "
          + TensorProto.DataType.forNumber(t.getDataType()) + "; expected an integer or float tensor");
    }
    return out;
  }

  /** IEEE 754 binary16 to float32, exactly (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(int bits) {
    int exponent = (bits >>> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    float magnitude;
    if (exponent == 0) {
      magnitude = mantissa * 0x1p-24f;
    } else if (exponent == 0x1f) {
      magnitude = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
    } else {
      magnitude = Float.intBitsToFloat(((exponent + 112) << 23) | (mantissa << 13));
    }
    return (bits & 0x8000) != 0 ? -magnitude : magnitude;
  }

  private static int count(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      n *= d;
    }
    return Math.toIntExact(n);
  }

  private static void requireInline(TensorProto t) {
    if (isExternal(t)) {
      throw new GraphBuildException("tensor '" + t.getName()
          + "' keeps its data in an external file; netvis needs weights stored inside the .onnx file");
    }
  }
}

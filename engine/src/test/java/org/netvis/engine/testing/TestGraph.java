package org.netvis.engine.testing;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.netvis.engine.graph.Attributes;
import org.netvis.engine.graph.TensorProtos;

/**
 * Builds small ONNX graphs in tests: input "x" [N, C, H, W] with a dynamic batch (H or W may be -1
 * for a dynamic size), and an output
 * "logits" that flattens whatever tensor is chosen as the result.
 */
public final class TestGraph {
  private static final String MICROSOFT = "com.microsoft";
  private final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
  private final int opset;
  private final Random random;
  private int counter;

  public TestGraph(int opset, long seed, long c, long h, long w) {
    this.opset = opset;
    this.random = new Random(seed);
    graph.addInput(value("x", -1, c, h, w));
  }

  public static ValueInfoProto value(String name, long... shape) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (int i = 0; i < shape.length; i++) {
      s.addDim(shape[i] < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam(i == 0 ? "N" : "d" + i)
          : TensorShapeProto.Dimension.newBuilder().setDimValue(shape[i]));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
  }

  /** Adds a node; attrs alternate names and values (Long, Float, Double, String, long[], float[], TensorProto). */
  public String op(String type, List<String> inputs, Object... attrs) {
    String out = type.toLowerCase() + "_" + counter++;
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(type).setName(type + "_node_" + counter)
        .addAllInput(inputs).addOutput(out);
    for (int i = 0; i < attrs.length; i += 2) {
      n.addAttribute(attribute((String) attrs[i], attrs[i + 1]));
    }
    graph.addNode(n);
    return out;
  }

  /** Adds a node of ONNX Runtime's com.microsoft domain (its contrib operators: QLinearAdd, QGemm, ...). */
  public String contribOp(String type, List<String> inputs, Object... attrs) {
    String out = op(type, inputs, attrs);
    int last = graph.getNodeCount() - 1;
    graph.setNode(last, graph.getNode(last).toBuilder().setDomain(MICROSOFT));
    return out;
  }

  /** Adds a com.microsoft node with several outputs. */
  public List<String> contribOps(String type, List<String> inputs, int outputs, Object... attrs) {
    List<String> outs = ops(type, inputs, outputs, attrs);
    int last = graph.getNodeCount() - 1;
    graph.setNode(last, graph.getNode(last).toBuilder().setDomain(MICROSOFT));
    return outs;
  }

  /** Records a tensor's shape in the graph's value_info (-1: symbolic), as shape inference would. */
  public void declare(String name, long... shape) {
    graph.addValueInfo(value(name, shape));
  }

  /** Adds a node with several outputs. */
  public List<String> ops(String type, List<String> inputs, int outputs, Object... attrs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(type).setName(type + "_node_" + counter).addAllInput(inputs);
    List<String> outs = new java.util.ArrayList<>();
    for (int i = 0; i < outputs; i++) {
      String out = type.toLowerCase() + "_" + counter++;
      outs.add(out);
      n.addOutput(out);
    }
    for (int i = 0; i < attrs.length; i += 2) {
      n.addAttribute(attribute((String) attrs[i], attrs[i + 1]));
    }
    graph.addNode(n);
    return outs;
  }

  private static AttributeProto attribute(String name, Object v) {
    if (v instanceof Long l) {
      return Attributes.of(name, l);
    } else if (v instanceof Integer i) {
      return Attributes.of(name, (long) i);
    } else if (v instanceof Float f) {
      return Attributes.of(name, f);
    } else if (v instanceof Double d) {
      return Attributes.of(name, d.floatValue());
    } else if (v instanceof String s) {
      return Attributes.of(name, s);
    } else if (v instanceof long[] a) {
      return Attributes.of(name, a);
    } else if (v instanceof TensorProto t) {
      return Attributes.of(name, t);
    } else if (v instanceof float[] a) {
      AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
      for (float f : a) {
        b.addFloats(f);
      }
      return b.build();
    }
    throw new IllegalArgumentException("attribute " + name + ": unsupported value " + v);
  }

  public String floats(float[] values, long... shape) {
    String name = "const_" + counter++;
    graph.addInitializer(TensorProtos.floats(name, shape, values));
    return name;
  }

  /** An integer constant of {@code dataType} (int8, uint8, int16, uint16: a quantizer's zero point or weights). */
  public String integers(int dataType, long[] values, long... shape) {
    String name = "integers_" + counter++;
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(dataType);
    for (long d : shape) {
      t.addDims(d);
    }
    for (long v : values) {
      t.addInt32Data((int) v);
    }
    graph.addInitializer(t);
    return name;
  }

  /** A boolean constant (a mask). */
  public String bools(boolean[] values, long... shape) {
    String name = "mask_" + counter++;
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.BOOL_VALUE);
    for (long d : shape) {
      t.addDims(d);
    }
    for (boolean v : values) {
      t.addInt32Data(v ? 1 : 0);
    }
    graph.addInitializer(t);
    return name;
  }

  /** Gaussian weights scaled by {@code scale}. */
  public String random(double scale, long... shape) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (random.nextGaussian() * scale);
    }
    return floats(v, shape);
  }

  public String ints(long... values) {
    String name = "ints_" + counter++;
    graph.addInitializer(TensorProtos.longs(name, new long[] {values.length}, values));
    return name;
  }

  /** An int64 constant of any shape (gather indices). */
  public String intTensor(long[] values, long... shape) {
    String name = "indices_" + counter++;
    graph.addInitializer(TensorProtos.longs(name, shape, values));
    return name;
  }

  /** A 0-D int64 constant (a scalar index, as Gather of the class token uses). */
  public String scalarInt(long value) {
    String name = "scalar_" + counter++;
    graph.addInitializer(TensorProtos.longs(name, new long[0], new long[] {value}));
    return name;
  }

  public ModelProto model(String result) {
    return model(result, -1);
  }

  /** The model with {@code classes} fixed in the output shape (-1 leaves it symbolic). */
  public ModelProto model(String result, long classes) {
    GraphProto.Builder g = graph.clone();
    g.addNode(NodeProto.newBuilder().setOpType("Flatten").setName("flatten_out").addInput(result).addOutput("logits")
        .addAttribute(Attributes.of("axis", 1L)));
    g.addOutput(ValueInfoProto.newBuilder().setName("logits").setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(
            TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"))
                .addDim(classes > 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(classes)
                    : TensorShapeProto.Dimension.newBuilder().setDimParam("classes"))))));
    ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(opset >= 13 ? 8 : 5).setProducerName("netvis-test")
        .setGraph(g).addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
    if (g.getNodeList().stream().anyMatch(n -> n.getDomain().equals(MICROSOFT))) {
      m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(MICROSOFT).setVersion(1));
    }
    return m.build();
  }

  public Path save(Path dir, String name, String result) throws IOException {
    return save(dir, name, result, -1);
  }

  public Path save(Path dir, String name, String result, long classes) throws IOException {
    Path file = dir.resolve(name + ".onnx");
    Files.write(file, model(result, classes).toByteArray());
    return file;
  }
}

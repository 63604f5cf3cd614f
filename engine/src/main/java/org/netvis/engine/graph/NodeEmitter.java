package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Appends nodes and constants to a graph under construction, giving every new tensor a fresh name.
 * Gradient rules talk to the graph only through this class.
 */
public final class NodeEmitter {
  private final List<NodeProto> nodes = new ArrayList<>();
  private final List<TensorProto> initializers = new ArrayList<>();
  private final Set<String> taken;
  private int counter;

  public NodeEmitter(Set<String> namesInUse) {
    this.taken = new HashSet<>(namesInUse);
  }

  /** An emitter for nodes to add to {@code graph}: its fresh names avoid every tensor and node the graph names. */
  static NodeEmitter over(GraphProto graph) {
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> {
      names.addAll(n.getOutputList());
      names.add(n.getName());
    });
    graph.getInitializerList().forEach(t -> names.add(t.getName()));
    graph.getInputList().forEach(v -> names.add(v.getName()));
    return new NodeEmitter(names);
  }

  public String fresh(String hint) {
    String base = "netvis/" + hint.replaceAll("[^A-Za-z0-9_./:-]", "_");
    String name;
    do {
      name = base + "_" + counter++;
    } while (!taken.add(name));
    return name;
  }

  /**
   * {@code name} itself where no tensor has it yet, else a fresh name from it: for tensors a user
   * may name (a layer of a quantized model), which read better without netvis' prefix and counter.
   */
  public String named(String name) {
    return taken.add(name) ? name : fresh(name);
  }

  /** Emits a node with one output named {@link #named} from {@code output}, and returns that name. */
  public String opNamed(String opType, List<String> inputs, String output, AttributeProto... attributes) {
    String out = named(output);
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(opType).setName(fresh("node_" + opType))
        .addAllInput(inputs).addOutput(out);
    for (AttributeProto a : attributes) {
      b.addAttribute(a);
    }
    nodes.add(b.build());
    return out;
  }

  /** Emits a node with one output and returns that output's name. */
  public String op(String opType, List<String> inputs, AttributeProto... attributes) {
    return op(opType, inputs, 1, attributes).get(0);
  }

  /** Emits a node with {@code outputs} outputs and returns their names. */
  public List<String> op(String opType, List<String> inputs, int outputs, AttributeProto... attributes) {
    List<String> outs = new ArrayList<>();
    for (int i = 0; i < outputs; i++) {
      outs.add(fresh(opType.toLowerCase()));
    }
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(opType).setName(fresh("node_" + opType));
    b.addAllInput(inputs).addAllOutput(outs);
    for (AttributeProto a : attributes) {
      b.addAttribute(a);
    }
    nodes.add(b.build());
    return outs;
  }

  /** Emits a node whose one output is the existing name {@code output} (a forward tensor it recomputes). */
  public void opInto(String opType, List<String> inputs, String output) {
    nodes.add(NodeProto.newBuilder().setOpType(opType).setName(fresh("node_" + opType)).addAllInput(inputs)
        .addOutput(output).build());
  }

  public void add(NodeProto node) {
    nodes.add(node);
  }

  public String floats(String hint, long[] shape, float[] values) {
    String name = fresh(hint);
    initializers.add(TensorProtos.floats(name, shape, values));
    return name;
  }

  /** A constant with a fresh name and the given value (whose own name is ignored). */
  public String constant(String hint, TensorProto value) {
    String name = fresh(hint);
    initializers.add(value.toBuilder().setName(name).build());
    return name;
  }

  public String scalar(float value) {
    return floats("const", new long[0], new float[] {value});
  }

  public String longs(String hint, long... values) {
    String name = fresh(hint);
    initializers.add(TensorProtos.longs(name, new long[] {values.length}, values));
    return name;
  }

  /** A scalar int64 constant (Range bounds, Gather positions). */
  public String longScalar(String hint, long value) {
    String name = fresh(hint);
    initializers.add(TensorProtos.longs(name, new long[0], new long[] {value}));
    return name;
  }

  // Small helpers for the handful of ops every rule needs.

  public String shapeOf(String tensor) {
    return op("Shape", List.of(tensor));
  }

  public String reshapeLike(String value, String like) {
    return op("Reshape", List.of(value, shapeOf(like)));
  }

  public String zerosLike(String like) {
    return zerosOfShape(shapeOf(like));
  }

  /** Float zeros of the shape a 1-D int64 tensor holds. */
  public String zerosOfShape(String shape) {
    TensorProto zero = TensorProtos.floats("value", new long[] {1}, new float[] {0f});
    return op("ConstantOfShape", List.of(shape), Attributes.of("value", zero));
  }

  /** The most elements a constant of ones may hold in {@link #broadcast}. */
  static final long MAX_ONES = 1 << 20;

  /**
   * {@code value} broadcast to the shape of {@code like}: a Mul by a constant of ones shaped
   * {@code onesShape} (1 where {@code value} already has the size), which ONNX Runtime runs on every
   * thread (its Expand runs on one); an Expand where {@code onesShape} is not all known or would hold
   * more than a million floats.
   */
  public String broadcast(String value, long[] onesShape, String like) {
    return broadcast(value, onesShape, () -> shapeOf(like));
  }

  /** {@link #broadcast(String, long[], String)} to a shape that {@code shape} emits where an Expand needs it. */
  public String broadcast(String value, long[] onesShape, java.util.function.Supplier<String> shape) {
    long elements = 1;
    for (long d : onesShape) {
      elements *= d;
      if (d <= 0 || elements > MAX_ONES) {
        return op("Expand", List.of(value, shape.get()));
      }
    }
    return mul(value, ones("ones", onesShape));
  }

  /** A constant of ones shaped {@code shape}. */
  public String ones(String hint, long[] shape) {
    long elements = 1;
    for (long d : shape) {
      elements *= d;
    }
    float[] ones = new float[(int) elements];
    java.util.Arrays.fill(ones, 1f);
    return floats(hint, shape, ones);
  }

  public String mul(String a, String b) {
    return op("Mul", List.of(a, b));
  }

  public List<NodeProto> nodes() {
    return nodes;
  }

  public List<TensorProto> initializers() {
    return initializers;
  }
}

package org.netvis.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which axis holds the channels of each 4-D tensor, followed through a ConvNeXt-style block (a
 * convolution, a permute to channels-last, a normalization and Linear layers there, a permute back)
 * and a Swin-style window attention (a Reshape whose layout is unknown, summed into the stream).
 */
class TensorLayoutsTest {
  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final Map<String, long[]> shapes = new HashMap<>();

  private void node(String op, String out, long[] shape, String... inputs) {
    node(op, out, shape, null, inputs);
  }

  private void node(String op, String out, long[] shape, long[] perm, String... inputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op + "_" + out).addOutput(out);
    for (String in : inputs) {
      n.addInput(in);
    }
    if (perm != null) {
      n.addAttribute(Attributes.of("perm", perm));
    }
    graph.addNode(n);
    shapes.put(out, shape);
  }

  private void weight(String name, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
    for (long d : dims) {
      t.addDims(d);
    }
    graph.addInitializer(t);
  }

  @Test
  void layoutsFollowTheOperatorsFromTheImage() {
    long[] nchw = {-1, 8, 6, 6};
    long[] nhwc = {-1, 6, 6, 8};
    weight("conv_w", 8, 3, 3, 3);
    weight("linear_w", 8, 16);
    weight("linear2_w", 16, 8);
    weight("bias", 8);
    node("Conv", "conv", nchw, "image", "conv_w");
    node("Transpose", "to_last", nhwc, new long[] {0, 2, 3, 1}, "conv");
    node("LayerNormalization", "norm", nhwc, "to_last");
    node("MatMul", "linear", new long[] {-1, 6, 6, 16}, "norm", "linear_w");
    node("Gelu", "gelu", new long[] {-1, 6, 6, 16}, "linear");
    node("MatMul", "linear2", nhwc, "gelu", "linear2_w");
    node("Add", "biased", nhwc, "linear2", "bias");
    // A window attention's output behind Reshapes: unknown alone, channels-last in the residual sum.
    node("Reshape", "windows", new long[] {-1, 36, 8}, "biased");
    node("Reshape", "unwindowed", nhwc, "windows");
    node("Add", "residual", nhwc, "to_last", "unwindowed");
    node("Transpose", "to_first", nchw, new long[] {0, 3, 1, 2}, "residual");
    node("Relu", "relu", nchw, "to_first");
    node("Transpose", "swapped", new long[] {-1, 8, 6, 6}, new long[] {0, 1, 3, 2}, "relu");
    node("Add", "mixed", nchw, "relu", "residual");
    node("MatMul", "over_width", nchw, "relu", "linear_w");
    node("GlobalAveragePool", "pooled", new long[] {-1, 8, 1, 1}, "unwindowed");

    Map<String, ImageLayout> layouts = TensorLayouts.of(graph.build(), "image", shapes::get);

    assertEquals(ImageLayout.NCHW, layouts.get("image"));
    assertEquals(ImageLayout.NCHW, layouts.get("conv"));
    for (String t : new String[] {"to_last", "norm", "linear", "gelu", "linear2", "biased", "residual"}) {
      assertEquals(ImageLayout.NHWC, layouts.get(t), t);
    }
    assertNull(layouts.get("windows"), "3-D");
    assertNull(layouts.get("unwindowed"), "behind a Reshape");
    assertEquals(ImageLayout.NCHW, layouts.get("to_first"));
    assertEquals(ImageLayout.NCHW, layouts.get("relu"));
    assertNull(layouts.get("swapped"), "height and width exchanged: neither layout");
    assertNull(layouts.get("mixed"), "a sum of the two layouts");
    assertNull(layouts.get("over_width"), "a MatMul over a channels-first tensor's width");
    assertEquals(ImageLayout.NCHW, layouts.get("pooled"), "a pool's channel axis is 1 by its definition");
  }

  @Test
  void aTransposeMovesTheChannelAxis() {
    assertEquals(ImageLayout.NHWC, ImageLayout.NCHW.transposed(new long[] {0, 2, 3, 1}));
    assertEquals(ImageLayout.NCHW, ImageLayout.NHWC.transposed(new long[] {0, 3, 1, 2}));
    assertEquals(ImageLayout.NCHW, ImageLayout.NCHW.transposed(new long[] {0, 1, 2, 3}));
    assertEquals(ImageLayout.NHWC, ImageLayout.NHWC.transposed(new long[] {0, 1, 2, 3}));
    assertNull(ImageLayout.NHWC.transposed(new long[] {0, 2, 3, 1}), "(N, W, C, H)");
    assertNull(ImageLayout.NCHW.transposed(new long[] {1, 0, 2, 3}), "batch moved");
    assertNull(ImageLayout.NCHW.transposed(new long[] {0, 2, 1}), "not 4-D");
  }
}

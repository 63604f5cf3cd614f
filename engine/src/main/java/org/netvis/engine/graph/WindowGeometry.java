package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Arrays;

/**
 * The sliding-window geometry of a Conv or pooling node over its spatial axes, with auto_pad resolved
 * to explicit pads from the known input and output sizes.
 */
record WindowGeometry(long[] kernel, long[] strides, long[] dilations, long[] padsBegin, long[] padsEnd,
    long[] inSize, long[] outSize) {

  static WindowGeometry of(NodeProto node, long[] kernel, long[] inSize, long[] outSize) {
    int n = kernel.length;
    long[] strides = orOnes(Attributes.getInts(node, "strides"), n);
    long[] dilations = orOnes(Attributes.getInts(node, "dilations"), n);
    long[] begin = new long[n];
    long[] end = new long[n];
    String autoPad = Attributes.getString(node, "auto_pad", "NOTSET");
    long[] pads = Attributes.getInts(node, "pads");
    for (int i = 0; i < n; i++) {
      switch (autoPad) {
        case "NOTSET" -> {
          begin[i] = pads == null ? 0 : pads[i];
          end[i] = pads == null ? 0 : pads[i + n];
        }
        case "VALID" -> {
          begin[i] = 0;
          end[i] = 0;
        }
        case "SAME_UPPER", "SAME_LOWER" -> {
          long total = Math.max((outSize[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSize[i], 0);
          long small = total / 2;
          begin[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
          end[i] = total - begin[i];
        }
        default -> throw new GraphBuildException(node.getOpType() + " node '" + node.getName()
            + "': auto_pad '" + autoPad + "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
      }
    }
    return new WindowGeometry(kernel, strides, dilations, begin, end, inSize, outSize);
  }

  /** The attribute's values, or n ones where it is absent (strides, dilations). */
  static long[] orOnes(long[] values, int n) {
    if (values != null) {
      return values;
    }
    long[] ones = new long[n];
    Arrays.fill(ones, 1);
    return ones;
  }

  boolean unitStrides() {
    return Arrays.stream(strides).allMatch(s -> s == 1);
  }

  /**
   * Pads and output_padding for the ConvTranspose that is the adjoint of this window: it scatters
   * every output back over its window and crops to exactly the input size (ceil_mode windows that
   * overhang and unused tail rows included).
   */
  long[][] adjointPads() {
    int n = kernel.length;
    long[] pads = new long[2 * n];
    long[] outputPadding = new long[n];
    for (int i = 0; i < n; i++) {
      long full = strides[i] * (outSize[i] - 1) + (kernel[i] - 1) * dilations[i] + 1;
      long end = full - padsBegin[i] - inSize[i];
      pads[i] = padsBegin[i];
      if (end >= 0) {
        pads[i + n] = end;
      } else {
        outputPadding[i] = -end;
      }
    }
    return new long[][] {pads, outputPadding};
  }

  /**
   * Emits the ConvTranspose that is the adjoint of this window over {@code input} with
   * {@code weights} ([C_in, C_out / group, kernel...]), sized back to exactly the input.
   */
  String adjoint(NodeEmitter e, String input, String weights, long group) {
    long[][] adj = adjointPads();
    java.util.List<ai.onnx.proto.OnnxMl.AttributeProto> attrs = new java.util.ArrayList<>(java.util.List.of(
        Attributes.of("strides", strides), Attributes.of("dilations", dilations), Attributes.of("group", group),
        Attributes.of("kernel_shape", kernel), Attributes.of("pads", adj[0])));
    if (Arrays.stream(adj[1]).anyMatch(p -> p != 0)) {
      attrs.add(Attributes.of("output_padding", adj[1]));
    }
    return e.op("ConvTranspose", java.util.List.of(input, weights),
        attrs.toArray(ai.onnx.proto.OnnxMl.AttributeProto[]::new));
  }
}

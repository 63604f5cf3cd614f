package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;

/**
 * QuantizeLinear and DequantizeLinear as netvis reads them: the ONNX operators, and ONNX Runtime's
 * com.microsoft ones of the same definition (its quantizer writes those for 16-bit activations below
 * opset 21, and with {@code UseQDQContribOps}).
 */
public final class Quantizers {
  private Quantizers() {}

  public static boolean isQuantize(NodeProto n) {
    return n.getOpType().equals("QuantizeLinear") && ours(n);
  }

  public static boolean isDequantize(NodeProto n) {
    return n.getOpType().equals("DequantizeLinear") && ours(n);
  }

  public static boolean isQuantizer(NodeProto n) {
    return isQuantize(n) || isDequantize(n);
  }

  private static boolean ours(NodeProto n) {
    return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx") || n.getDomain().equals("com.microsoft");
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.List;
import java.util.function.Supplier;

/**
 * The adjoint of a patch embedding: a Conv whose stride equals its kernel, without pads, so that
 * every input pixel lies in exactly one window (ViT's 16x16/16 or 32x32/32). Each patch's gradient
 * is one row of a MatMul of the output gradient, token-major, with the weights as a [D, C * K0 * K1]
 * matrix; a Gather of whole kernel rows (K1 values each) then puts the patches in image order.
 *
 * <p>Why: as a ConvTranspose the same products are followed by col2im, which ONNX Runtime runs on
 * one thread (6% of ViT's VJP kernel time at batch 32); a Gather of many blocks runs on every thread,
 * and ONNX Runtime folds the token-major transpose into the MatMul where the gradient arrives from
 * the tokens. The result is bit for bit the ConvTranspose's (one product per value).
 */
final class PatchAdjoint {
  /**
   * The narrowest kernel row worth a Gather: with 4x4/4 stems and 2x2/2 downsampling (ConvNeXt,
   * Swin) the copies of 4 or 2 values made the VJP slower than ConvTranspose (ConvNeXt 263.4 ->
   * 273.0 ms at batch 32); with ViT's 32x32/32 it is faster (44.8 -> 43.5 ms).
   */
  static final long MIN_KERNEL_WIDTH = 8;

  private PatchAdjoint() {}

  /**
   * The input gradient of a group-1, 2-D, pad-free Conv with stride == kernel and constant weights
   * [D, C, K0, K1] whose input is exactly covered by its windows, or null where that is not so.
   */
  static String adjoint(BackwardContext ctx, String dy, Supplier<String> weightsName, TensorProto weights, long[] ws,
      WindowGeometry g) {
    if (ws.length != 4 || ws[3] < MIN_KERNEL_WIDTH) {
      return null;
    }
    for (int i = 0; i < 2; i++) {
      if (g.strides()[i] != g.kernel()[i] || g.dilations()[i] != 1 || g.padsBegin()[i] != 0 || g.padsEnd()[i] != 0
          || g.outSize()[i] <= 0 || g.inSize()[i] != g.outSize()[i] * g.kernel()[i]) {
        return null;
      }
    }
    NodeEmitter e = ctx.emit();
    long embed = ws[0];
    long channels = ws[1];
    long k0 = ws[2];
    long k1 = ws[3];
    long rows = g.outSize()[0];
    long cols = g.outSize()[1];
    long height = rows * k0;
    // Output block (c, y, w): kernel row y % k0 of channel c in patch (y / k0, w), which the
    // MatMul's [patches * C * K0, K1] view holds at ((patch * C + c) * K0 + ky).
    long[] index = new long[(int) (channels * height * cols)];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < height; y++) {
        for (int w = 0; w < cols; w++) {
          long patch = (y / k0) * cols + w;
          index[(int) ((c * height + y) * cols + w)] = (patch * channels + c) * k0 + y % k0;
        }
      }
    }
    String tokens = e.op("Transpose", List.of(e.op("Reshape", List.of(dy,
        e.longs("patch_gradient_shape", 0, embed, rows * cols)))), Attributes.of("perm", new long[] {0, 2, 1}));
    long[] matrix = {embed, channels * k0 * k1};
    // Weights kept in the model's data files are reshaped by ONNX Runtime as it loads the graph, which holds no copy.
    String patchWeights = ctx.inDataFile(weights)
        ? e.op("Reshape", List.of(weightsName.get(), e.longs("patch_weights_shape", matrix)))
        : e.floats("patch_weights", matrix, TensorProtos.toFloats(weights));
    String patches = e.op("MatMul", List.of(tokens, patchWeights));
    String kernelRows = e.op("Reshape", List.of(patches, e.longs("patch_rows_shape", 0, rows * cols * channels * k0, k1)));
    String placed = e.op("Gather", List.of(kernelRows, e.longs("patch_order", index)), Attributes.of("axis", 1L));
    return e.op("Reshape", List.of(placed, e.longs("patch_image_shape", 0, channels, height, cols * k1)));
  }
}

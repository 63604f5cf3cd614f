package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Conv: the input gradient is the adjoint convolution with the same weights; ConvTranspose's is the
 * Conv it is the adjoint of; Col2Im's (PyTorch's fold) is im2col, a Conv with one-hot kernels.
 */
final class ConvolutionGradients {
  private ConvolutionGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("Conv", ConvolutionGradients::conv);
    rules.put("ConvTranspose", ConvolutionGradients::convTranspose);
    rules.put("Col2Im", ConvolutionGradients::col2Im);
  }

  /**
   * Col2Im (opset 18; PyTorch exports {@code F.fold} as it: MobileViTv2's and VOLO's folding) adds
   * input[c K + k, l] into y[c, l s - pad + k d] for each kernel offset k of K and block l. Its adjoint
   * reads dy at those positions (zero in the padding): im2col, which is a Conv of dy with one one-hot
   * kernel per offset and group C, with the same strides, pads and dilations; its output grid is the
   * blocks' grid, so a Reshape gives [N, C K, L]. Each value is one product by 1 plus zeros: exact.
   * Blocks that tile the image (stride equal to the block, no pads or dilation: MobileViTv2) need
   * only a Reshape and a Transpose.
   */
  private static void col2Im(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    if (!ctx.isActive(x)) {
      return;
    }
    TensorProto imageShape = ctx.constant(node.getInput(1));
    TensorProto blockShape = ctx.constant(node.getInput(2));
    if (imageShape == null || blockShape == null) {
      throw ctx.fail(node, "image_shape '" + node.getInput(1) + "' or block_shape '" + node.getInput(2)
          + "' is computed from the image; expected constants");
    }
    long[] image = TensorProtos.toLongs(imageShape);
    long[] block = TensorProtos.toLongs(blockShape);
    int spatial = block.length;
    long[] strides = WindowGeometry.orOnes(Attributes.getInts(node, "strides"), spatial);
    long[] dilations = WindowGeometry.orOnes(Attributes.getInts(node, "dilations"), spatial);
    long[] pads = Attributes.getInts(node, "pads");
    pads = pads == null ? new long[2 * spatial] : pads;
    long taps = 1;
    boolean tiles = true;
    long[] blocks = new long[spatial];
    for (int i = 0; i < spatial; i++) {
      taps *= block[i];
      blocks[i] = (image[i] + pads[i] + pads[i + spatial] - dilations[i] * (block[i] - 1) - 1) / strides[i] + 1;
      tiles &= strides[i] == block[i] && dilations[i] == 1 && pads[i] == 0 && pads[i + spatial] == 0
          && image[i] == blocks[i] * block[i];
    }
    long columnCount = 1;
    for (long b : blocks) {
      columnCount *= b;
    }
    long[] xs = ctx.shape(x);
    if (xs.length != 3 || xs[1] <= 0 || xs[1] % taps != 0 || xs[2] != columnCount) {
      throw ctx.fail(node, "input '" + x + "' has shape " + BackwardContext.describe(xs) + "; expected (N, C * "
          + taps + ", " + columnCount + ") with a known channel count, for blocks " + Arrays.toString(block)
          + " in an image of " + Arrays.toString(image));
    }
    long channels = xs[1] / taps;
    NodeEmitter e = ctx.emit();
    if (tiles && spatial == 2) {
      // [N, C, nh * bh, nw * bw] -> [N, C, nh, bh, nw, bw] -> [N, C, bh, bw, nh, nw] -> [N, C * bh * bw, nh * nw]
      String split = e.op("Reshape", List.of(dy.get(0), e.longs("fold_blocks_shape", 0, channels, blocks[0], block[0],
          blocks[1], block[1])));
      String offsetsFirst = e.op("Transpose", List.of(split), Attributes.of("perm", new long[] {0, 1, 3, 5, 2, 4}));
      ctx.accumulate(x, e.op("Reshape", List.of(offsetsFirst, e.longs("fold_columns_shape", 0, xs[1], xs[2]))));
      return;
    }
    long[] kernelShape = new long[spatial + 2];
    kernelShape[0] = channels * taps;
    kernelShape[1] = 1;
    System.arraycopy(block, 0, kernelShape, 2, spatial);
    float[] oneHot = new float[(int) (channels * taps * taps)];
    for (long c = 0; c < channels; c++) {
      for (long k = 0; k < taps; k++) {
        oneHot[(int) ((c * taps + k) * taps + k)] = 1f;
      }
    }
    String columns = e.op("Conv", List.of(dy.get(0), e.floats("im2col_kernels", kernelShape, oneHot)),
        Attributes.of("group", channels), Attributes.of("strides", strides), Attributes.of("dilations", dilations),
        Attributes.of("pads", pads), Attributes.of("kernel_shape", block));
    ctx.accumulate(x, e.op("Reshape", List.of(columns, e.longs("im2col_shape", 0, xs[1], xs[2]))));
  }

  /**
   * ConvTranspose writes x[c, i] W[c, o, k] to y[o, i s + k d - pad]; the Conv with the same weights,
   * strides, pads, dilations and group reads exactly those positions, so it is the adjoint and dx is
   * that Conv of dy (output_padding only adds positions the Conv never reads).
   */
  private static void convTranspose(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    String w = node.getInput(1);
    if (ctx.isActive(w)) {
      throw ctx.fail(node, "weights '" + w + "' depend on the input; only constant or input-independent weights are supported");
    }
    String autoPad = Attributes.getString(node, "auto_pad", "NOTSET");
    if (!autoPad.equals("NOTSET") || Attributes.find(node, "output_shape").isPresent()) {
      throw ctx.fail(node, "sets " + (autoPad.equals("NOTSET") ? "output_shape" : "auto_pad " + autoPad)
          + ", from which ONNX derives its pads; expected explicit pads (as PyTorch exports)");
    }
    if (!ctx.isActive(x)) {
      return;
    }
    List<AttributeProto> geometry = new java.util.ArrayList<>();
    for (String a : List.of("strides", "pads", "dilations", "kernel_shape")) {
      Attributes.find(node, a).ifPresent(geometry::add);
    }
    geometry.add(Attributes.of("group", Attributes.getInt(node, "group", 1)));
    ctx.accumulate(x, ctx.emit().op("Conv", List.of(dy.get(0), w),
        geometry.toArray(AttributeProto[]::new)));
  }

  private static void conv(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    String w = node.getInput(1);
    if (ctx.isActive(w)) {
      throw ctx.fail(node, "weights '" + w + "' depend on the input; only constant or input-independent weights are supported");
    }
    if (!ctx.isActive(x)) {
      return;
    }
    long[] ws = ctx.shape(w);
    long group = Attributes.getInt(node, "group", 1);
    TensorProto weights = ctx.constant(w);
    // Slices of weights kept in the model's data files would be copies the graph holds: those take
    // the whole adjoint (its weights derived as ONNX Runtime loads the graph), and the Concat splits it.
    NodeProto concat = group == 1 && weights != null && !ctx.inDataFile(weights) ? soleChannelConcat(x, ctx) : null;
    if (concat == null) {
      ctx.accumulate(x, inputGradient(node, x, () -> w, weights, ws, dy.get(0), ctx));
      return;
    }
    // The input joins parts along channels (SqueezeNet's Fire modules): each part's gradient is the
    // adjoint of its own slice of the weights, the same sums of products. ONNX Runtime keeps each
    // in its blocked layout, where splitting the joined gradient (a Split, which it runs in plain
    // NCHW) cost a reorder out and one back in per part.
    long taps = Arrays.stream(ws).skip(2).reduce(1, (a, b) -> a * b);
    long start = 0;
    for (String part : concat.getInputList()) {
      long channels = ctx.shape(part)[1];
      if (ctx.isActive(part)) {
        long[] partShape = ws.clone();
        partShape[1] = channels;
        long from = start;
        // Remembered like the adjoint weights: a later build (another spec, the sanity check's copies)
        // takes the same part, whose adjoint is then found without hashing a fresh slice's bytes.
        TensorProto partWeights = ctx.derived("conv_part_weights, channels " + from + " + " + channels, weights,
            source -> TensorProtos.floats("", partShape,
                channelSlice(TensorProtos.toFloats(source), ws[0], ws[1], taps, from, channels)));
        NodeEmitter e = ctx.emit();
        ctx.accumulate(part, inputGradient(node, part, () -> e.constant("conv_part_weights", partWeights),
            partWeights, partShape, dy.get(0), ctx));
      }
      start += channels;
    }
  }

  /**
   * The Concat along channels (axis 1) whose output reaches {@code x} through Identity nodes only,
   * each tensor on the way read by the next node alone; null where there is none, or a part's
   * channel count is not known.
   */
  private static NodeProto soleChannelConcat(String x, BackwardContext ctx) {
    String t = x;
    while (ctx.readers(t) == 1) {
      NodeProto p = ctx.producer(t);
      if (p == null || !(p.getDomain().isEmpty() || p.getDomain().equals("ai.onnx"))) {
        return null;
      }
      if (p.getOpType().equals("Identity")) {
        t = p.getInput(0);
        continue;
      }
      int rank = ctx.shape(t).length;
      long axis = Attributes.getInt(p, "axis", 1);
      if (!p.getOpType().equals("Concat") || (axis < 0 ? axis + rank : axis) != 1) {
        return null;
      }
      for (String part : p.getInputList()) {
        if (ctx.shape(part)[1] <= 0) {
          return null;
        }
      }
      return p;
    }
    return null;
  }

  /** W[:, start:start + channels, ...] of weights shaped [out, in, taps...]. */
  static float[] channelSlice(float[] w, long out, long in, long taps, long start, long channels) {
    float[] slice = new float[(int) (out * channels * taps)];
    for (int m = 0; m < out; m++) {
      System.arraycopy(w, (int) ((m * in + start) * taps), slice, (int) (m * channels * taps), (int) (channels * taps));
    }
    return slice;
  }

  /** The gradient of x, read by node with weights of shape ws, from the output gradient dy. */
  private static String inputGradient(NodeProto node, String x, Supplier<String> weightsName, TensorProto weights,
      long[] ws, String dy, BackwardContext ctx) {
    long[] xs = ctx.shape(x);
    long[] ys = ctx.shape(node.getOutput(0));
    int spatial = xs.length - 2;
    long[] kernel = Arrays.copyOfRange(ws, 2, ws.length);
    WindowGeometry g = WindowGeometry.of(node, kernel, Arrays.copyOfRange(xs, 2, xs.length),
        Arrays.copyOfRange(ys, 2, ys.length));
    long group = Attributes.getInt(node, "group", 1);
    NodeEmitter e = ctx.emit();

    // Stride 1 with non-negative adjoint pads: a plain Conv with flipped, transposed weights is
    // faster on ONNX Runtime than ConvTranspose.
    long[] flippedPads = new long[2 * spatial];
    boolean padsFit = true;
    for (int i = 0; i < spatial; i++) {
      long reach = (kernel[i] - 1) * g.dilations()[i];
      flippedPads[i] = reach - g.padsBegin()[i];
      flippedPads[i + spatial] = reach - g.padsEnd()[i];
      padsFit &= flippedPads[i] >= 0 && flippedPads[i + spatial] >= 0;
    }
    if (g.unitStrides() && weights != null && padsFit) {
      return e.op("Conv", List.of(dy, adjointWeights(ctx, weightsName, weights, ws, group)),
          Attributes.of("pads", flippedPads), Attributes.of("dilations", g.dilations()),
          Attributes.of("group", group), Attributes.of("kernel_shape", kernel));
    }
    String strided = null;
    if (weights != null && group > 1 && group == xs[1] && ws[1] == 1) {
      strided = stridedDepthwise(ctx, dy, weightsName, weights, ws, g, xs, ys, group);
    } else if (weights != null && group == 1) {
      strided = PatchAdjoint.adjoint(ctx, dy, weightsName, weights, ws, g);
      if (strided == null) {
        strided = StridedPhases.adjoint(e, dy, weights, ws, g);
      }
    }
    return strided != null ? strided : g.adjoint(e, dy, weightsName.get(), group);
  }

  /**
   * The weights of the convolution that maps output gradients back to input gradients ({@link
   * #flipTranspose}): a constant, or, for weights kept in the model's data files, nodes that ONNX
   * Runtime folds into one when it loads the graph, so that the graph holds no copy of them (the
   * gradient graph of a model over 2 GB must refer to its weights, not carry them).
   */
  private static String adjointWeights(BackwardContext ctx, Supplier<String> weightsName, TensorProto weights,
      long[] ws, long group) {
    long[] fs = ws.clone();
    fs[0] = ws[1] * group;
    fs[1] = ws[0] / group;
    if (!ctx.inDataFile(weights)) {
      return ctx.emit().constant("conv_adjoint_weights", ctx.derived("conv_adjoint_weights, group " + group, weights,
          w -> TensorProtos.floats("", fs, flipTranspose(TensorProtos.toFloats(w), ws, group))));
    }
    NodeEmitter e = ctx.emit();
    int spatial = ws.length - 2;
    // [g * m', c, k...] -> [g, m', c, k...] -> [g, c, m', k...] -> [g * c, m', k...], then each kernel reversed.
    long[] grouped = new long[ws.length + 1];
    grouped[0] = group;
    grouped[1] = ws[0] / group;
    System.arraycopy(ws, 1, grouped, 2, ws.length - 1);
    long[] perm = new long[grouped.length];
    for (int i = 0; i < perm.length; i++) {
      perm[i] = i == 1 ? 2 : i == 2 ? 1 : i;
    }
    String swapped = e.op("Transpose", List.of(e.op("Reshape", List.of(weightsName.get(), e.longs("grouped_shape",
        grouped)))), Attributes.of("perm", perm));
    String adjoint = e.op("Reshape", List.of(swapped, e.longs("adjoint_shape", fs)));
    long[] starts = new long[spatial];
    long[] ends = new long[spatial];
    long[] axes = new long[spatial];
    long[] steps = new long[spatial];
    for (int i = 0; i < spatial; i++) {
      starts[i] = -1;
      ends[i] = Long.MIN_VALUE;
      axes[i] = i + 2;
      steps[i] = -1;
    }
    return e.op("Slice", List.of(adjoint, e.longs("flip_starts", starts), e.longs("flip_ends", ends),
        e.longs("flip_axes", axes), e.longs("flip_steps", steps)));
  }

  /**
   * A strided depthwise convolution's adjoint as a stride-1 one over the output gradient spread
   * out with zeros (nearest upsampling times a constant mask that keeps every stride-th position),
   * or null where the sizes are not all known or the pads would be negative. ONNX Runtime runs a
   * grouped ConvTranspose group by group on one thread (13% of MobileNetV2's VJP at batch 8); these
   * three ops run on every thread.
   */
  private static String stridedDepthwise(BackwardContext ctx, String dy, Supplier<String> weightsName,
      TensorProto weights, long[] ws, WindowGeometry g, long[] xs, long[] ys, long group) {
    NodeEmitter e = ctx.emit();
    int spatial = xs.length - 2;
    if (spatial != 2) {
      return null;
    }
    long[] pads = new long[2 * spatial];
    float[] scales = {1, 1, 1, 1};
    long[] spread = new long[spatial];
    for (int i = 0; i < spatial; i++) {
      long in = xs[i + 2];
      long out = ys[i + 2];
      long reach = (g.kernel()[i] - 1) * g.dilations()[i];
      spread[i] = out * g.strides()[i];
      pads[i] = reach - g.padsBegin()[i];
      pads[i + spatial] = in - spread[i] - pads[i] + reach;
      if (in <= 0 || out <= 0 || pads[i] < 0 || pads[i + spatial] < 0) {
        return null;
      }
      scales[i + 2] = g.strides()[i];
    }
    float[] mask = new float[(int) (spread[0] * spread[1])];
    for (int r = 0; r < spread[0]; r += (int) g.strides()[0]) {
      for (int c = 0; c < spread[1]; c += (int) g.strides()[1]) {
        mask[(int) (r * spread[1] + c)] = 1f;
      }
    }
    String upsampled = e.op("Resize", List.of(dy, "", e.floats("spread_scales", new long[] {4}, scales)),
        Attributes.of("mode", "nearest"), Attributes.of("coordinate_transformation_mode", "asymmetric"),
        Attributes.of("nearest_mode", "floor"));
    String zeros = e.op("Mul", List.of(upsampled, e.floats("spread_mask", new long[] {1, 1, spread[0], spread[1]}, mask)));
    return e.op("Conv", List.of(zeros, adjointWeights(ctx, weightsName, weights, ws, group)), Attributes.of("pads", pads),
        Attributes.of("dilations", g.dilations()), Attributes.of("group", group),
        Attributes.of("kernel_shape", g.kernel()));
  }

  /**
   * W[m, c, k...] (m over output channels, c over the group's input channels) becomes
   * W'[c_global, m_in_group, K-1-k...]: the weights of the convolution that maps output gradients
   * back to input gradients.
   */
  static float[] flipTranspose(float[] w, long[] shape, long group) {
    int outChannels = (int) shape[0];
    int inPerGroup = (int) shape[1];
    int outPerGroup = (int) (outChannels / group);
    int k = 1;
    for (int i = 2; i < shape.length; i++) {
      k *= (int) shape[i];
    }
    float[] out = new float[w.length];
    for (int m = 0; m < outChannels; m++) {
      int grp = m / outPerGroup;
      int mLocal = m % outPerGroup;
      for (int c = 0; c < inPerGroup; c++) {
        int cGlobal = grp * inPerGroup + c;
        int src = (m * inPerGroup + c) * k;
        int dst = (cGlobal * outPerGroup + mLocal) * k;
        for (int i = 0; i < k; i++) {
          // Reversing the flattened kernel reverses every spatial axis at once.
          out[dst + (k - 1 - i)] = w[src + i];
        }
      }
    }
    return out;
  }
}

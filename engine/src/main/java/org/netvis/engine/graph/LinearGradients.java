package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;
import java.util.Map;

/** Gemm, MatMul and inference-mode BatchNormalization. */
final class LinearGradients {
  private LinearGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("Gemm", LinearGradients::gemm);
    rules.put("MatMul", LinearGradients::matMul);
    rules.put("BatchNormalization", LinearGradients::batchNorm);
    rules.put("Einsum", LinearGradients::einsum);
  }

  /**
   * Einsum (no letter repeated within one operand): the gradient of an operand is the einsum of the
   * output gradient with the other operands, onto the operand's letters; letters summed away within
   * the operand alone come back by broadcasting. An ellipsis is first spelled out in letters.
   */
  private static void einsum(NodeProto node, List<String> dy, BackwardContext ctx) {
    String equation = Attributes.getString(node, "equation", "").replace(" ", "");
    if (equation.contains("...")) {
      equation = withoutEllipsis(node, equation, ctx);
    }
    String[] sides = equation.split("->", -1);
    String[] operands = sides[0].split(",", -1);
    if (operands.length != node.getInputCount()) {
      throw ctx.fail(node, "equation '" + equation + "' names " + operands.length + " operands for "
          + node.getInputCount() + " inputs");
    }
    String output = sides.length > 1 ? sides[1] : implicitOutput(operands);
    for (String term : concatTerms(operands, output)) {
      if (term.chars().distinct().count() != term.length() || !term.chars().allMatch(Character::isLetter)) {
        throw ctx.fail(node, "equation '" + equation + "': term '" + term
            + "' repeats a letter or uses other characters (diagonals are not supported)");
      }
    }
    NodeEmitter e = ctx.emit();
    for (int k = 0; k < operands.length; k++) {
      String operand = node.getInput(k);
      if (!ctx.isActive(operand)) {
        continue;
      }
      StringBuilder others = new StringBuilder(output);
      List<String> inputs = new java.util.ArrayList<>(List.of(dy.get(0)));
      for (int j = 0; j < operands.length; j++) {
        if (j != k) {
          others.append(',').append(operands[j]);
          inputs.add(node.getInput(j));
        }
      }
      String seen = others.toString();
      StringBuilder kept = new StringBuilder();
      List<Long> dropped = new java.util.ArrayList<>();
      for (int i = 0; i < operands[k].length(); i++) {
        char c = operands[k].charAt(i);
        if (seen.indexOf(c) >= 0) {
          kept.append(c);
        } else {
          dropped.add((long) i);
        }
      }
      String grad = e.op("Einsum", inputs, Attributes.of("equation", seen + "->" + kept));
      if (!dropped.isEmpty()) {
        grad = e.op("Unsqueeze", List.of(grad, e.longs("axes", dropped.stream().mapToLong(Long::longValue).toArray())));
        grad = e.op("Expand", List.of(grad, e.shapeOf(operand)));
      }
      ctx.accumulate(operand, grad);
    }
  }

  /**
   * The equation with each "..." replaced by letters it does not use: the ellipsis axes align from the
   * right across operands, as numpy broadcasts them, and lead an implicit output. Ellipsis axes of
   * different sizes (1 broadcast against n) are refused: explicit letters do not broadcast.
   */
  private static String withoutEllipsis(NodeProto node, String equation, BackwardContext ctx) {
    String[] sides = equation.split("->", -1);
    String[] operands = sides[0].split(",", -1);
    int[] lengths = new int[operands.length];
    int longest = 0;
    for (int k = 0; k < operands.length; k++) {
      if (operands[k].contains("...")) {
        lengths[k] = ctx.shape(node.getInput(k)).length - (operands[k].length() - 3);
        longest = Math.max(longest, lengths[k]);
      }
    }
    StringBuilder letters = new StringBuilder();
    for (char c : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray()) {
      if (letters.length() < longest && equation.indexOf(c) < 0) {
        letters.append(c);
      }
    }
    if (letters.length() < longest) {
      throw ctx.fail(node, "equation '" + equation + "' leaves too few unused letters for its ellipsis");
    }
    String all = letters.toString();
    long[] sizes = new long[longest];
    java.util.Arrays.fill(sizes, Long.MIN_VALUE);
    String[] spelled = new String[operands.length];
    for (int k = 0; k < operands.length; k++) {
      String mine = all.substring(longest - lengths[k]);
      spelled[k] = operands[k].replace("...", mine);
      int at = operands[k].indexOf("...");
      long[] shape = ctx.shape(node.getInput(k));
      for (int i = 0; at >= 0 && i < lengths[k]; i++) {
        int slot = longest - lengths[k] + i;
        long size = shape[at + i];
        if (sizes[slot] != Long.MIN_VALUE && sizes[slot] != size) {
          throw ctx.fail(node, "equation '" + equation + "' broadcasts ellipsis axes of sizes " + sizes[slot] + " and "
              + size + "; expected equal sizes");
        }
        sizes[slot] = size;
      }
    }
    String output = sides.length > 1 ? sides[1].replace("...", all)
        : all + implicitOutput(sides[0].replace("...", "").split(",", -1));
    return String.join(",", spelled) + "->" + output;
  }

  /** Implicit mode: the letters that appear exactly once, in alphabetical order. */
  private static String implicitOutput(String[] operands) {
    String all = String.join("", operands);
    StringBuilder out = new StringBuilder();
    all.chars().distinct().sorted().filter(c -> all.indexOf(c) == all.lastIndexOf(c)).forEach(c -> out.append((char) c));
    return out.toString();
  }

  private static List<String> concatTerms(String[] operands, String output) {
    List<String> terms = new java.util.ArrayList<>(List.of(operands));
    terms.add(output);
    return terms;
  }

  /** Y = alpha * A' B' + beta * C, where A' and B' are A and B, transposed when asked. */
  private static void gemm(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String a = node.getInput(0);
    String b = node.getInput(1);
    float alpha = Attributes.getFloat(node, "alpha", 1f);
    long transA = Attributes.getInt(node, "transA", 0);
    long transB = Attributes.getInt(node, "transB", 0);
    String g = dy.get(0);
    if (ctx.isActive(a)) {
      // dA' = alpha dY B'^T; dA = transA ? (dA')^T : dA'.
      String da = transA == 0
          ? e.op("Gemm", List.of(g, b), Attributes.of("alpha", alpha), Attributes.of("transB", 1 - transB))
          : e.op("Gemm", List.of(b, g), Attributes.of("alpha", alpha), Attributes.of("transA", transB),
              Attributes.of("transB", 1L));
      ctx.accumulate(a, da);
    }
    if (ctx.isActive(b)) {
      // dB' = alpha A'^T dY; dB = transB ? (dB')^T : dB'.
      String db = transB == 0
          ? e.op("Gemm", List.of(a, g), Attributes.of("alpha", alpha), Attributes.of("transA", 1 - transA))
          : e.op("Gemm", List.of(g, a), Attributes.of("alpha", alpha), Attributes.of("transA", 1L),
              Attributes.of("transB", transA));
      ctx.accumulate(b, db);
    }
    String c = input(node, 2);
    if (c != null && ctx.isActive(c)) {
      float beta = Attributes.getFloat(node, "beta", 1f);
      ctx.accumulate(c, ctx.unbroadcast(e.mul(g, e.scalar(beta)), node.getOutput(0), c));
    }
  }

  private static void matMul(NodeProto node, List<String> dy, BackwardContext ctx) {
    NodeEmitter e = ctx.emit();
    String a = node.getInput(0);
    String b = node.getInput(1);
    String y = node.getOutput(0);
    if (ctx.shape(a).length < 2 || ctx.shape(b).length < 2) {
      throw ctx.fail(node, "MatMul with a 1-D operand is not supported (expected rank >= 2 for both)");
    }
    String g = dy.get(0);
    if (ctx.isActive(a)) {
      String source = transposedSource(a, b, ctx);
      if (source != null) {
        // dA^T = (dY B^T)^T = B dY^T.
        ctx.accumulate(source, e.op("MatMul", List.of(b, swapLastTwo(e, g, ctx.shape(y).length))));
      } else {
        String da = e.op("MatMul", List.of(g, swapLastTwo(e, b, ctx.shape(b).length)));
        ctx.accumulate(a, ctx.unbroadcast(da, y, a));
      }
    }
    if (ctx.isActive(b)) {
      String source = transposedSource(b, a, ctx);
      if (source != null) {
        // dB^T = (A^T dY)^T = dY^T A.
        ctx.accumulate(source, e.op("MatMul", List.of(swapLastTwo(e, g, ctx.shape(y).length), a)));
      } else {
        String db = e.op("MatMul", List.of(swapLastTwo(e, a, ctx.shape(a).length), g));
        ctx.accumulate(b, ctx.unbroadcast(db, y, b));
      }
    }
  }

  /**
   * The input of the Transpose that swaps the last two axes to make {@code operand} (attention's
   * k^T), where this MatMul is its only reader and neither operand broadcasts; else null. Its gradient
   * is then one MatMul with the output gradient transposed, which ONNX Runtime fuses into the
   * MatMul (FusedMatMul with transA or transB), instead of the operand's gradient followed by a
   * Transpose back, which it runs as a separate, single-threaded copy (2% of Swin's VJP).
   */
  private static String transposedSource(String operand, String other, BackwardContext ctx) {
    NodeProto t = ctx.producer(operand);
    if (t == null || !t.getOpType().equals("Transpose") || ctx.readers(operand) != 1) {
      return null;
    }
    long[] shape = ctx.shape(operand);
    long[] otherShape = ctx.shape(other);
    int rank = shape.length;
    long[] perm = Attributes.getInts(t, "perm");
    if (rank < 2 || otherShape.length != rank || !java.util.Arrays.equals(
        java.util.Arrays.copyOf(shape, rank - 2), java.util.Arrays.copyOf(otherShape, rank - 2))) {
      return null;
    }
    for (int i = 0; i < rank; i++) {
      long expected = i < rank - 2 ? i : 2L * rank - 3 - i;
      // Without perm, Transpose reverses the axes: a swap of the last two only at rank 2.
      if ((perm == null ? rank - 1 - i : perm[i]) != expected) {
        return null;
      }
    }
    return t.getInput(0);
  }

  private static String swapLastTwo(NodeEmitter e, String t, int rank) {
    long[] perm = new long[rank];
    for (int i = 0; i < rank; i++) {
      perm[i] = i;
    }
    perm[rank - 2] = rank - 1;
    perm[rank - 1] = rank - 2;
    return e.op("Transpose", List.of(t), Attributes.of("perm", perm));
  }

  /** Inference mode: y = (x - mean) * scale / sqrt(var + eps) + bias, so dx = dy * scale / sqrt(var + eps). */
  private static void batchNorm(NodeProto node, List<String> dy, BackwardContext ctx) {
    if (Attributes.getInt(node, "training_mode", 0) != 0) {
      throw ctx.fail(node, "training_mode=1 is not supported (expected an inference-mode export)");
    }
    String x = node.getInput(0);
    float[] scale = TensorProtos.toFloats(ctx.requireConstant(node, node.getInput(1), "scale"));
    float[] var = TensorProtos.toFloats(ctx.requireConstant(node, node.getInput(4), "variance"));
    float eps = Attributes.getFloat(node, "epsilon", 1e-5f);
    float[] factor = new float[scale.length];
    for (int c = 0; c < scale.length; c++) {
      factor[c] = (float) (scale[c] / Math.sqrt((double) var[c] + eps));
    }
    int rank = ctx.shape(x).length;
    long[] shape = new long[rank - 1];
    java.util.Arrays.fill(shape, 1);
    shape[0] = scale.length;
    NodeEmitter e = ctx.emit();
    ctx.accumulate(x, e.mul(dy.get(0), e.floats("batchnorm_factor", shape, factor)));
  }
}

package org.netvis.engine.graph;

import static org.netvis.engine.graph.BackwardContext.input;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.List;
import java.util.Map;

/**
 * ONNX's Attention (opset 23 and 24) as a classifier uses it: Q, K and V in 3-D (batch, sequence,
 * heads x size) or 4-D (batch, heads, sequence, size), several query heads per key/value head
 * (grouped-query), an optional constant mask (boolean or additive), causal masking and softcap.
 * Y = softmax(cap(Q K^T scale) + bias) V; the gradient recomputes the probabilities P and takes
 * dV = P^T dY, dS = P (dP - rowsum(dP P)) with dP = dY V^T, dQ = dS K scale and dK = dS^T Q scale,
 * each head's key and value gradients summed over the query heads that share them.
 */
final class AttentionGradients {
  private static final long[] SWAP_LAST_TWO = {0, 1, 3, 2};
  private static final long[] HEADS_FIRST = {0, 2, 1, 3};

  private AttentionGradients() {}

  static void register(Map<String, NodeGradient> rules) {
    rules.put("Attention", AttentionGradients::attention);
  }

  /** How the node's Q, K and V lay out their heads. */
  private record Geometry(int rank, long queryHeads, long kvHeads, long headSize) {
    long repeats() {
      return queryHeads / kvHeads;
    }
  }

  private static void attention(NodeProto node, List<String> dy, BackwardContext ctx) {
    for (int i = 1; i < dy.size(); i++) {
      if (dy.get(i) != null) {
        throw ctx.fail(node, "its present_key, present_value or qk_matmul_output output feeds the gradient path;"
            + " expected only Y to be used");
      }
    }
    for (int i = 4; i < node.getInputCount(); i++) {
      if (input(node, i) != null) {
        throw ctx.fail(node, "it has a key/value cache input (past_key, past_value or nonpad_kv_seqlen); expected"
            + " attention over Q, K and V alone, as in a classifier");
      }
    }
    String q = node.getInput(0);
    String k = node.getInput(1);
    String v = node.getInput(2);
    String mask = input(node, 3);
    if (mask != null && ctx.isActive(mask)) {
      throw ctx.fail(node, "its attn_mask depends on the image; expected a constant mask");
    }
    Geometry g = geometry(node, ctx);
    long[] ks = ctx.shape(k);
    long queryLength = ctx.shape(q)[g.rank() == 3 ? 1 : 2];
    long keyLength = ks[g.rank() == 3 ? 1 : 2];
    long headSize = g.headSize();
    float scale = Attributes.find(node, "scale").isPresent() ? Attributes.getFloat(node, "scale", 0f)
        : (float) (1 / Math.sqrt(headSize));
    float softcap = Attributes.getFloat(node, "softcap", 0f);

    NodeEmitter e = ctx.emit();
    String q4 = byHeads(e, q, g.rank(), g.queryHeads());
    long valueSize = g.rank() == 3 ? ctx.shape(v)[2] / g.kvHeads() : ctx.shape(v)[3];
    String k4 = repeated(e, byHeads(e, k, g.rank(), g.kvHeads()), g, keyLength, headSize);
    String v4 = repeated(e, byHeads(e, v, g.rank(), g.kvHeads()), g, keyLength, valueSize);
    String scores = e.mul(e.op("MatMul", List.of(q4, swap(e, k4))), e.scalar(scale));
    String capped = scores;
    String tanh = null;
    if (softcap > 0) {
      tanh = e.op("Tanh", List.of(e.mul(scores, e.scalar(1 / softcap))));
      capped = e.mul(tanh, e.scalar(softcap));
    }
    String bias = bias(node, ctx, mask, queryLength, keyLength);
    String p = e.op("Softmax", List.of(bias == null ? capped : e.op("Add", List.of(capped, bias))),
        Attributes.of("axis", -1L));
    String dy4 = byHeads(e, dy.get(0), g.rank(), g.queryHeads());

    if (ctx.isActive(v)) {
      String dv = e.op("MatMul", List.of(swap(e, p), dy4));
      ctx.accumulate(v, asInput(e, summedOverShared(e, dv, g, keyLength, valueSize), g.rank()));
    }
    if (!ctx.isActive(q) && !ctx.isActive(k)) {
      return;
    }
    String dp = e.op("MatMul", List.of(dy4, swap(e, v4)));
    String rowSums = e.op("ReduceSum", List.of(e.mul(dp, p), e.longs("axes", -1)), Attributes.of("keepdims", 1L));
    String ds = e.mul(p, e.op("Sub", List.of(dp, rowSums)));
    if (tanh != null) {
      // d cap(s) / ds = 1 - tanh(s / softcap)^2
      ds = e.mul(ds, e.op("Sub", List.of(e.scalar(1f), e.mul(tanh, tanh))));
    }
    ds = e.mul(ds, e.scalar(scale));
    if (ctx.isActive(q)) {
      ctx.accumulate(q, asInput(e, e.op("MatMul", List.of(ds, k4)), g.rank()));
    }
    if (ctx.isActive(k)) {
      String dk = e.op("MatMul", List.of(swap(e, ds), q4));
      ctx.accumulate(k, asInput(e, summedOverShared(e, dk, g, keyLength, headSize), g.rank()));
    }
  }

  private static Geometry geometry(NodeProto node, BackwardContext ctx) {
    long[] qs = ctx.shape(node.getInput(0));
    long[] ks = ctx.shape(node.getInput(1));
    int rank = qs.length;
    if (rank != 3 && rank != 4 || ks.length != rank || ctx.shape(node.getInput(2)).length != rank) {
      throw ctx.fail(node, "Q, K and V have shapes " + BackwardContext.describe(qs) + ", " + BackwardContext.describe(ks)
          + " and " + BackwardContext.describe(ctx.shape(node.getInput(2))) + "; expected all 3-D or all 4-D");
    }
    long queryHeads;
    long kvHeads;
    long headSize;
    if (rank == 3) {
      queryHeads = Attributes.getInt(node, "q_num_heads", 0);
      kvHeads = Attributes.getInt(node, "kv_num_heads", 0);
      if (queryHeads <= 0 || kvHeads <= 0 || qs[2] % queryHeads != 0) {
        throw ctx.fail(node, "3-D inputs need q_num_heads and kv_num_heads dividing the hidden sizes; got "
            + queryHeads + " and " + kvHeads + " for Q of shape " + BackwardContext.describe(qs));
      }
      headSize = qs[2] / queryHeads;
    } else {
      queryHeads = qs[1];
      kvHeads = ks[1];
      headSize = qs[3];
    }
    if (queryHeads % kvHeads != 0) {
      throw ctx.fail(node, queryHeads + " query heads cannot share " + kvHeads + " key/value heads evenly");
    }
    return new Geometry(rank, queryHeads, kvHeads, headSize);
  }

  /** A 3-D (batch, sequence, heads x size) tensor as (batch, heads, sequence, size); a 4-D one as it is. */
  private static String byHeads(NodeEmitter e, String t, int rank, long heads) {
    if (rank == 4) {
      return t;
    }
    return e.op("Transpose", List.of(e.op("Reshape", List.of(t, e.longs("heads", 0, 0, heads, -1)))),
        Attributes.of("perm", HEADS_FIRST));
  }

  /** A gradient by heads back in its input's layout. */
  private static String asInput(NodeEmitter e, String t, int rank) {
    if (rank == 4) {
      return t;
    }
    return e.op("Reshape", List.of(e.op("Transpose", List.of(t), Attributes.of("perm", HEADS_FIRST)),
        e.longs("hidden", 0, 0, -1)));
  }

  /** Each key/value head repeated for the query heads that share it: [h0, h0, h1, h1, ...]. */
  private static String repeated(NodeEmitter e, String t, Geometry g, long length, long size) {
    if (g.repeats() == 1) {
      return t;
    }
    String split = e.op("Unsqueeze", List.of(t, e.longs("axes", 2)));
    String expanded = e.op("Expand", List.of(split, e.longs("shape", 1, 1, g.repeats(), 1, 1)));
    return e.op("Reshape", List.of(expanded, e.longs("heads", 0, g.queryHeads(), length, size)));
  }

  /** The inverse of {@link #repeated} for gradients: each shared head's sum over its query heads. */
  private static String summedOverShared(NodeEmitter e, String t, Geometry g, long length, long size) {
    if (g.repeats() == 1) {
      return t;
    }
    String grouped = e.op("Reshape", List.of(t, e.longs("grouped", 0, g.kvHeads(), g.repeats(), length, size)));
    return e.op("ReduceSum", List.of(grouped, e.longs("axes", 2)), Attributes.of("keepdims", 0L));
  }

  private static String swap(NodeEmitter e, String t) {
    return e.op("Transpose", List.of(t), Attributes.of("perm", SWAP_LAST_TWO));
  }

  /**
   * The additive bias: the mask (a boolean one as 0 where True, -inf where False) plus, with
   * is_causal, -inf above the diagonal; null when there is neither.
   */
  private static String bias(NodeProto node, BackwardContext ctx, String mask, long queryLength, long keyLength) {
    NodeEmitter e = ctx.emit();
    String bias = null;
    if (mask != null) {
      long[] ms = ctx.shape(mask);
      if (ms.length == 0 || ms[ms.length - 1] != keyLength) {
        throw ctx.fail(node, "attn_mask has shape " + BackwardContext.describe(ms) + "; expected its last axis to"
            + " cover the " + keyLength + " keys");
      }
      bias = ctx.isBoolean(mask)
          ? e.op("Where", List.of(mask, e.scalar(0f), e.scalar(Float.NEGATIVE_INFINITY)))
          : mask;
    }
    if (Attributes.getInt(node, "is_causal", 0) != 0) {
      float[] upper = new float[(int) (queryLength * keyLength)];
      for (int i = 0; i < queryLength; i++) {
        for (int j = i + 1; j < keyLength; j++) {
          upper[(int) (i * keyLength + j)] = Float.NEGATIVE_INFINITY;
        }
      }
      String causal = e.floats("causal_mask", new long[] {queryLength, keyLength}, upper);
      bias = bias == null ? causal : e.op("Add", List.of(bias, causal));
    }
    return bias;
  }
}

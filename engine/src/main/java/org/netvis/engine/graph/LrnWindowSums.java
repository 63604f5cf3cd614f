package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * LRN across channels in element-wise ops and one Conv: s = bias + alpha/size * (sum of x^2 over the
 * channel window), y = x * s^-beta, the window [c - floor((size-1)/2), c + ceil((size-1)/2)] summed by
 * a 1x1 Conv with a banded 0/1 weight matrix. ONNX Runtime's LRN kernel took 72% of an AlexNet-style
 * forward pass; these take about a quarter of its time (the LRN fixture at batch 32: 108 -> about 28
 * ms), with outputs that differ from the kernel's in the last bits. The gradient rule reuses s and
 * s^-beta, and the engine's forward pass runs this form too ({@link #recomputed}).
 */
public final class LrnWindowSums {
  private LrnWindowSums() {}

  /** The window sums' scale s and the factor s^-beta of one LRN node. */
  record Scale(String s, String factor) {}

  record Parameters(long size, float alpha, float beta, float bias) {
    long below() {
      return (size - 1) / 2;
    }

    long above() {
      return size - 1 - below();
    }
  }

  /** The node's attributes with ONNX's defaults; null when its size is not a positive window. */
  static Parameters parameters(NodeProto lrn) {
    long size = Attributes.getInt(lrn, "size", 0);
    return size <= 0 ? null : new Parameters(size, Attributes.getFloat(lrn, "alpha", 1e-4f),
        Attributes.getFloat(lrn, "beta", 0.75f), Attributes.getFloat(lrn, "bias", 1f));
  }

  /** Emits s and s^-beta for a tensor {@code x} of rank {@code rank} with {@code channels} on axis 1. */
  static Scale scale(NodeEmitter e, String x, Parameters p, long channels, int rank) {
    String windowSum = channelWindowSum(e, e.mul(x, x), p.below(), p.above(), channels, rank);
    String s = e.op("Add", List.of(e.mul(windowSum, e.scalar(p.alpha() / p.size())), e.scalar(p.bias())));
    return new Scale(s, e.op("Pow", List.of(s, e.scalar(-p.beta()))));
  }

  /**
   * out_c = sum of t over channels [c - before, c + after], zero outside. On images, a 1x1 Conv
   * with a banded 0/1 weight matrix, which ONNX Runtime runs on every thread in its blocked layout
   * (Pad, Slices and Sum ran on one: a quarter of an AlexNet-style VJP); otherwise those.
   */
  static String channelWindowSum(NodeEmitter e, String t, long before, long after, long channels, int rank) {
    if (rank == 4) {
      int c = (int) channels;
      float[] band = new float[c * c];
      for (int out = 0; out < c; out++) {
        for (int in = (int) Math.max(0, out - before); in <= Math.min(c - 1, out + after); in++) {
          band[out * c + in] = 1f;
        }
      }
      return e.op("Conv", List.of(t, e.floats("lrn_window", new long[] {c, c, 1, 1}, band)));
    }
    long[] pads = new long[2 * rank];
    pads[1] = before;
    pads[1 + rank] = after;
    String padded = e.op("Pad", List.of(t, e.longs("pads", pads)));
    List<String> parts = new ArrayList<>();
    for (long k = 0; k <= before + after; k++) {
      parts.add(e.op("Slice", List.of(padded, e.longs("starts", k), e.longs("ends", k + channels), e.longs("axes", 1))));
    }
    return parts.size() == 1 ? parts.get(0) : e.op("Sum", parts);
  }

  /**
   * The model with each LRN over a 4-D tensor replaced, in place, by {@code x * s^-beta} (the same
   * output names), or the model itself when it has none. Opsets before 7 (Mul without broadcasting)
   * are left alone.
   *
   * @param channels a 4-D tensor's channel count; -1 where it is not known or the tensor is not 4-D
   *     (that LRN is kept)
   */
  public static ModelProto recomputed(ModelProto model, ToLongFunction<String> channels) {
    GraphProto graph = model.getGraph();
    if (count(model) == 0 || OpsetCanonicalizer.defaultOpset(model) < 7) {
      return model;
    }
    NodeEmitter e = NodeEmitter.over(graph);
    List<NodeProto> nodes = new ArrayList<>();
    for (NodeProto n : graph.getNodeList()) {
      Parameters p = isLrn(n) ? parameters(n) : null;
      long c = p == null ? -1 : channels.applyAsLong(n.getInput(0));
      if (c <= 0) {
        nodes.add(n);
        continue;
      }
      int from = e.nodes().size();
      Scale scale = scale(e, n.getInput(0), p, c, 4);
      e.opInto("Mul", List.of(n.getInput(0), scale.factor()), n.getOutput(0));
      nodes.addAll(e.nodes().subList(from, e.nodes().size()));
    }
    return model.toBuilder().setGraph(graph.toBuilder().clearNode().addAllNode(nodes)
        .addAllInitializer(e.initializers())).build();
  }

  /** How many LRN nodes (of the default domain) the model's graph has. */
  public static long count(ModelProto model) {
    return model.getGraph().getNodeList().stream().filter(LrnWindowSums::isLrn).count();
  }

  private static boolean isLrn(NodeProto n) {
    return n.getOpType().equals("LRN") && (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"));
  }
}

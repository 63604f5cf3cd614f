package org.netvis.engine.runtime;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.netvis.engine.graph.FromLayerGraph;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.tensor.Tensor;

/**
 * The forward graphs {@link Engine} cuts from its model around hidden tensors: the model up to named
 * tensors (returning them, with or without the logits), up to one unit of a tensor, and from a layer
 * up with that layer's values given. One session per graph and input size, opened on first use and
 * closed when idle ({@link #closeIdle}). Inputs are checked by the engine before they get here.
 */
final class CutGraphs implements AutoCloseable {
  private final ModelGraph graph;
  private final GradientGraphBuilder builder;
  private final OrtSessions sessions;
  private final IdleClosingCache<OrtSession> toTensors = new IdleClosingCache<>(OrtSessions::closeQuietly);
  private final IdleClosingCache<FromLayerSession> fromLayers =
      new IdleClosingCache<>(f -> OrtSessions.closeQuietly(f.session()));

  private record FromLayerSession(OrtSession session, boolean readsImage) {}

  CutGraphs(ModelGraph graph, GradientGraphBuilder builder, OrtSessions sessions) {
    this.graph = graph;
    this.builder = builder;
    this.sessions = sessions;
  }

  /** The named tensors of each image, and the logits under the model's output name where asked for. */
  Map<String, Tensor> values(Tensor batch, List<String> tensors, boolean withLogits) {
    long h = batch.dim(2);
    long w = batch.dim(3);
    OrtSession session = toTensors(String.join(",", tensors) + "@" + h + "x" + w + (withLogits ? "" : " alone"),
        () -> builder.activationGraph(graph, tensors, h, w, withLogits), "with outputs " + tensors);
    try {
      // Not in parts of the gradient batch: a layer's tensor need not be batch-first (a transformer's
      // [tokens, N, width]); a model with a fixed batch runs in that batch all the same.
      return run(session, Map.of(graph.inputName(), batch), new ArrayList<>(session.getOutputNames()));
    } catch (OrtException e) {
      throw new EngineException("forward pass for " + tensors + " failed on " + batch + ": " + e.getMessage(), e);
    }
  }

  /** The value at {@code offset} in each image's part of {@code tensor}, [N, 1]. */
  Tensor unit(Tensor batch, String tensor, long offset) {
    long h = batch.dim(2);
    long w = batch.dim(3);
    OrtSession session = toTensors(tensor + "@" + h + "x" + w + " unit " + offset,
        () -> builder.unitGraph(graph, tensor, offset, h, w), "to unit " + offset + " of '" + tensor + "'");
    String unit = GradientGraphBuilder.unitOutput(tensor);
    try {
      return run(session, Map.of(graph.inputName(), batch), List.of(unit)).get(unit);
    } catch (OrtException e) {
      throw new EngineException("forward pass to unit " + offset + " of '" + tensor + "' failed on " + batch + ": "
          + e.getMessage(), e);
    }
  }

  /** The logits with {@code layer} set to {@code values}, row k reading image {@code imageOfRow[k]} elsewhere. */
  Tensor scoresFrom(Tensor images, int[] imageOfRow, String layer, Tensor values) {
    FromLayerSession s = fromLayer(layer, images.dim(2), images.dim(3));
    Map<String, Tensor> feeds = new HashMap<>(Map.of(FromLayerGraph.inputName(layer), values));
    if (s.readsImage()) {
      feeds.put(graph.inputName(), images.items(imageOfRow));
    }
    try {
      return run(s.session(), feeds, List.of(graph.outputName())).get(graph.outputName());
    } catch (OrtException e) {
      throw new EngineException("forward pass from '" + layer + "' failed on " + values + ": " + e.getMessage(), e);
    }
  }

  /** Whole, or in the model's fixed batch where it has one. */
  private Map<String, Tensor> run(OrtSession session, Map<String, Tensor> feeds, List<String> outputs)
      throws OrtException {
    return sessions.runInParts(session, feeds, outputs, graph.fixedBatch() ? (int) graph.inputShape()[0] : 0);
  }

  private synchronized FromLayerSession fromLayer(String layer, long h, long w) {
    return fromLayers.get(layer + "@" + h + "x" + w, () -> {
      FromLayerGraph g = builder.fromLayerGraph(graph, layer, h, w);
      return new FromLayerSession(open(g.model(), "from '" + layer + "'"), g.readsImage());
    });
  }

  /** A graph's session, built and opened on first use under {@code key}; {@code what} names it in errors. */
  private synchronized OrtSession toTensors(String key, Supplier<ModelProto> model, String what) {
    return toTensors.get(key, () -> open(model.get(), what));
  }

  private OrtSession open(ModelProto model, String what) {
    try {
      return sessions.open(graph.serialize(model)).session();
    } catch (OrtException e) {
      throw new EngineException("ONNX Runtime cannot load the forward graph " + what + ": " + e.getMessage(), e);
    }
  }

  /** Closes the sessions no run has used since the previous call; how many. */
  synchronized int closeIdle() {
    return toTensors.closeIdle() + fromLayers.closeIdle();
  }

  @Override
  public synchronized void close() {
    toTensors.closeAll();
    fromLayers.closeAll();
  }
}

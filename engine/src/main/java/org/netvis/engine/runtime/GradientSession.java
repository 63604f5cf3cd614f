package org.netvis.engine.runtime;

import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.netvis.engine.graph.GradientGraph;
import org.netvis.engine.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gradient graph's ONNX Runtime sessions. With fixed batches (on the CPU, when the options ask for
 * them) every run takes a session loaded with the graph's batch dimension fixed at that run's size,
 * created on the size's first run: with every shape known, ONNX Runtime keeps the masks, masked
 * gradients and gradient sums in its blocked NCHWc layout instead of reordering each of them to NCHW
 * and back (MobileNetV2's VJP a quarter faster, SqueezeNet's 2 to 6%: bench/README.md). An image's floats do
 * not depend on the size of the batch it ran in (as with one session for any batch), so results do
 * not depend on how a caller or a Spark partition batches its images. Otherwise one session takes
 * any batch.
 */
final class GradientSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GradientSession.class);

  private final CompanionGraphs.Companion companion;
  private final OrtSessions sessions;
  private final List<String> outputNames;
  private boolean fixedBatches;
  private OrtSession anyBatch;
  private final Map<Long, OrtSession> byBatch = new TreeMap<>();
  private final Map<String, long[]> itemShapes = new ConcurrentHashMap<>();

  GradientSession(CompanionGraphs.Companion companion, OrtSessions sessions, boolean fixedBatches) {
    this.companion = companion;
    this.sessions = sessions;
    this.fixedBatches = fixedBatches && companion.graph().batchOnFirstAxes();
    this.outputNames = companion.graph().proto().getGraph().getOutputList().stream().map(ValueInfoProto::getName)
        .toList();
  }

  CompanionGraphs.Companion companion() {
    return companion;
  }

  GradientGraph graph() {
    return companion.graph();
  }

  List<String> outputNames() {
    return outputNames;
  }

  /**
   * Remembers, from the outputs of a run of {@code batch} images, the per-image shape of each output
   * the graph declares batch-first (its first axis {@link GradientGraph#BATCH_DIMENSION}, the rest
   * fixed) and that came back with {@code batch} rows: an axis that is a multiple of the batch comes
   * back longer and is left out.
   */
  void learnShapes(Map<String, Tensor> outputs, long batch) {
    for (ValueInfoProto v : companion.graph().proto().getGraph().getOutputList()) {
      Tensor t = outputs.get(v.getName());
      if (t != null && t.rank() > 0 && t.dim(0) == batch && !itemShapes.containsKey(v.getName())
          && declaredBatchFirst(v)) {
        itemShapes.put(v.getName(), Arrays.copyOfRange(t.shape(), 1, t.rank()));
      }
    }
  }

  private static boolean declaredBatchFirst(ValueInfoProto v) {
    List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
    if (dims.isEmpty() || !GradientGraph.BATCH_DIMENSION.equals(dims.get(0).getDimParam())) {
      return false;
    }
    return dims.stream().skip(1).allMatch(TensorShapeProto.Dimension::hasDimValue);
  }

  /** The shape of output {@code name} for a run of {@code batch} images, or null where no run has shown it. */
  long[] outputShape(String name, long batch) {
    long[] item = itemShapes.get(name);
    if (item == null) {
      return null;
    }
    long[] shape = new long[item.length + 1];
    shape[0] = batch;
    System.arraycopy(item, 0, shape, 1, item.length);
    return shape;
  }

  /** Batch sizes with a session of their own so far, ascending. */
  synchronized List<Long> fixedBatchSizes() {
    return new ArrayList<>(byBatch.keySet());
  }

  /** The session for a run of {@code batch} images whose every input holds the batch on its first axis. */
  synchronized OrtSession forBatch(long batch) {
    if (!fixedBatches) {
      return anyBatch();
    }
    OrtSession own = byBatch.get(batch);
    if (own == null) {
      try {
        own = sessions.open(companion.serialized(), Map.of(GradientGraph.BATCH_DIMENSION, batch)).session();
      } catch (OrtException e) {
        // Never expected: from here on every run takes the session for any batch.
        LOG.warn("ONNX Runtime could not load {} with the batch fixed at {}: {}; every run of it takes the session"
            + " for any batch (the same gradients to rounding, without the blocked layout's speed)", companion.file(),
            batch, e.getMessage());
        fixedBatches = false;
        return anyBatch();
      }
      byBatch.put(batch, own);
    }
    return own;
  }

  /** The session that takes any batch (runs whose inputs do not all hold the batch on their first axis). */
  synchronized OrtSession anyBatch() {
    if (anyBatch == null) {
      try {
        anyBatch = sessions.open(companion.serialized()).session();
      } catch (OrtException e) {
        throw new EngineException("ONNX Runtime cannot load the gradient graph " + companion.file() + ": "
            + e.getMessage(), e);
      }
    }
    return anyBatch;
  }

  @Override
  public synchronized void close() {
    byBatch.values().forEach(OrtSessions::closeQuietly);
    byBatch.clear();
    if (anyBatch != null) {
      OrtSessions.closeQuietly(anyBatch);
    }
  }
}

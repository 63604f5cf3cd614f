package org.netvis.engine.runtime;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.graph.GradientGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gradient graph's ONNX Runtime sessions: one that takes any batch, and on the CPU up to {@code
 * limit} more, each loaded with the batch fixed at one size. With every shape known, ONNX Runtime
 * keeps the masked gradients and their sums in its blocked NCHWc layout instead of reordering them
 * around each mask (MobileNetV2's VJP 24% faster, SqueezeNet's 2 to 4%, ResNet-18's 2%: README).
 *
 * <p>A size gets its session on its {@value #SPECIALIZE_ON_RUN}th run, so that sizes a caller uses
 * a few times only (fooling's batch shrinking as images succeed, the last part of a batch) cost no
 * session load; sizes past the limit keep the shared session. The choice depends on the order of
 * calls only, never on timings, so a rerun takes the same sessions and gives the same floats (the
 * two kinds of session round differently in the last bits: ONNX Runtime fuses differently).
 */
final class GradientSession implements AutoCloseable {
  static final int SPECIALIZE_ON_RUN = 8;
  private static final Logger LOG = LoggerFactory.getLogger(GradientSession.class);

  private final CompanionGraphs.Companion companion;
  private final OrtSession anyBatch;
  private final List<String> outputNames;
  private final OrtSessions sessions;
  private final int limit;
  private final Map<Long, Integer> runs = new HashMap<>();
  private final Map<Long, OrtSession> byBatch = new LinkedHashMap<>();

  GradientSession(CompanionGraphs.Companion companion, OrtSession anyBatch, OrtSessions sessions, int limit) {
    this.companion = companion;
    this.anyBatch = anyBatch;
    this.outputNames = List.copyOf(anyBatch.getOutputNames());
    this.sessions = sessions;
    this.limit = companion.graph().batchOnFirstAxes() ? limit : 0;
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

  /** Batch sizes with a session of their own so far, in the order they got it. */
  synchronized List<Long> specializedBatches() {
    return new ArrayList<>(byBatch.keySet());
  }

  /** The session for a run of {@code batch} images whose every input holds the batch on its first axis. */
  synchronized OrtSession forBatch(long batch) {
    OrtSession own = byBatch.get(batch);
    if (own != null || limit == 0) {
      return own != null ? own : anyBatch;
    }
    int run = runs.merge(batch, 1, Integer::sum);
    if (run < SPECIALIZE_ON_RUN || byBatch.size() >= limit) {
      return anyBatch;
    }
    try {
      own = sessions.open(companion.graph().proto().toByteArray(), Map.of(GradientGraph.BATCH_DIMENSION, batch))
          .session();
    } catch (OrtException e) {
      // Never expected; the shared session still works, so stay with it for this size.
      LOG.warn("ONNX Runtime could not load {} with the batch fixed at {}: {}; using the session for any batch",
          companion.file(), batch, e.getMessage());
      runs.put(batch, Integer.MIN_VALUE);
      return anyBatch;
    }
    byBatch.put(batch, own);
    return own;
  }

  /** The session for runs whose inputs do not all hold the batch on their first axis. */
  OrtSession anyBatch() {
    return anyBatch;
  }

  @Override
  public synchronized void close() {
    byBatch.values().forEach(OrtSessions::closeQuietly);
    byBatch.clear();
    OrtSessions.closeQuietly(anyBatch);
  }
}

package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.lang.ref.SoftReference;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Constants that gradient rules derive from a model's weights (a convolution's flipped, transposed
 * weights), remembered from one build to the next: a builder derives a graph per spec of one model,
 * and the sanity check's copies differ from the model before them in one layer's weights, so most of
 * what a build would derive again is at hand. Keyed by the source tensor's content (protobuf caches a
 * message's hash); an entry that neither of the last two builds used is dropped, and the values are
 * held softly, so that the collector may take them when memory runs short.
 */
final class DerivedConstants {
  private record Key(String kind, TensorProto source) {}

  private record Entry(SoftReference<TensorProto> value, long lastBuild) {}

  private final Map<Key, Entry> entries = new HashMap<>();
  private long build;
  private long derivations;

  /** Marks the start of a build: entries the build before last was the last to use are dropped. */
  synchronized void startBuild() {
    build++;
    entries.values().removeIf(e -> e.lastBuild() < build - 1);
  }

  /**
   * {@code derive.apply(source)}, or what it gave for an equal source before; {@code kind} names the
   * derivation and everything besides the source that it depends on. The value carries no name of its
   * own: each graph that uses it names its copy ({@link NodeEmitter#constant}).
   */
  synchronized TensorProto of(String kind, TensorProto source, UnaryOperator<TensorProto> derive) {
    Key key = new Key(kind, source);
    Entry e = entries.get(key);
    TensorProto value = e == null ? null : e.value().get();
    if (value == null) {
      value = derive.apply(source);
      derivations++;
    }
    entries.put(key, new Entry(new SoftReference<>(value), build));
    return value;
  }

  /** How many values were derived rather than remembered (for tests). */
  synchronized long derivations() {
    return derivations;
  }
}

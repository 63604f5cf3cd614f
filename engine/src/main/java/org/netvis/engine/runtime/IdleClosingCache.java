package org.netvis.engine.runtime;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Sessions by key that remember whether they were used since the last {@link #closeIdle}, so that
 * those a run no longer uses give their memory back: ONNX Runtime keeps each session's arena at its
 * largest run until the session closes. Not thread-safe: the engine holds its lock around every call.
 */
final class IdleClosingCache<V> {
  private static final class Entry<V> {
    final V value;
    boolean used = true;

    Entry(V value) {
      this.value = value;
    }
  }

  private final Map<String, Entry<V>> entries = new HashMap<>();
  private final Consumer<V> closer;

  IdleClosingCache(Consumer<V> closer) {
    this.closer = closer;
  }

  /** The value under {@code key}, opened on first use; either way it counts as used. */
  V get(String key, Supplier<V> open) {
    Entry<V> entry = entries.get(key);
    if (entry == null) {
      entry = new Entry<>(open.get());
      entries.put(key, entry);
    }
    entry.used = true;
    return entry.value;
  }

  /** Closes the values not used since the previous call; how many it closed. */
  int closeIdle() {
    int closed = 0;
    for (Iterator<Entry<V>> it = entries.values().iterator(); it.hasNext(); ) {
      Entry<V> entry = it.next();
      if (!entry.used) {
        closer.accept(entry.value);
        it.remove();
        closed++;
      } else {
        entry.used = false;
      }
    }
    return closed;
  }

  void closeAll() {
    entries.values().forEach(e -> closer.accept(e.value));
    entries.clear();
  }

  int size() {
    return entries.size();
  }
}

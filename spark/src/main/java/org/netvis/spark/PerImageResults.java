package org.netvis.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A technique's results for a batch of n images, split per image. Per-image techniques report
 * their per-image results as {@code images}: a list with one map per input image, in input order
 * (see the README's "Writing a technique"); image i's share is that list's i-th map. Its numbers,
 * flattened to dotted keys, are its figures.
 */
final class PerImageResults {
  private PerImageResults() {}

  /** Image {@code i}'s share of {@code values}, or null when the technique reports no per-image list. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> share(Map<String, Object> values, int n, int i) {
    if (values.get("images") instanceof List<?> list && list.size() == n && list.get(i) instanceof Map<?, ?> m) {
      return (Map<String, Object>) m;
    }
    return null;
  }

  /** Every number in {@code value}, keyed by its dotted path (list elements by index). */
  static Map<String, Double> figures(Object value) {
    Map<String, Double> out = new LinkedHashMap<>();
    flatten("", value, out);
    return out;
  }

  private static void flatten(String prefix, Object value, Map<String, Double> out) {
    if (value instanceof Number n) {
      out.put(prefix, n.doubleValue());
    } else if (value instanceof Boolean b) {
      out.put(prefix, b ? 1.0 : 0.0);
    } else if (value instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        flatten(prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey(), e.getValue(), out);
      }
    } else if (value instanceof List<?> l) {
      List<Object> items = new ArrayList<>(l);
      for (int k = 0; k < items.size(); k++) {
        flatten(prefix + "." + k, items.get(k), out);
      }
    }
  }
}

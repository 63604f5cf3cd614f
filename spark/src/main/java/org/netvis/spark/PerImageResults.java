package org.netvis.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A technique's results for a batch of n images, split per image: every list of length n (at any
 * depth of the results map) contributes its i-th element to image i; everything else describes the
 * batch and is left out. The numbers of an image's share, flattened to dotted keys, are its figures.
 */
final class PerImageResults {
  private PerImageResults() {}

  /** Image {@code i}'s share of {@code values}, or null when nothing in it is per image. */
  static Map<String, Object> share(Map<String, Object> values, int n, int i) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : values.entrySet()) {
      Object v = pick(e.getValue(), n, i);
      if (v != null) {
        out.put(e.getKey(), v);
      }
    }
    return out.isEmpty() ? null : out;
  }

  @SuppressWarnings("unchecked")
  private static Object pick(Object value, int n, int i) {
    if (value instanceof List<?> list && list.size() == n) {
      return list.get(i);
    }
    if (value instanceof Map<?, ?> map) {
      return share((Map<String, Object>) map, n, i);
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

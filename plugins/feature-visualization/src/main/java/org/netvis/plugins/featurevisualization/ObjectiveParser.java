package org.netvis.plugins.featurevisualization;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.spi.NearestNames;

/**
 * Reads an {@link Objective} from the experiment file's list of terms (see Objective for the kinds);
 * every message starts with the key of the value at fault ({@code objective[1].channel.index}).
 */
final class ObjectiveParser {
  private ObjectiveParser() {}


  private static final Map<String, Objective.Kind> KINDS = new LinkedHashMap<>();

  static {
    for (Objective.Kind k : Objective.Kind.values()) {
      KINDS.put(k.name().toLowerCase(java.util.Locale.ROOT), k);
    }
  }

  /** Parses the experiment file's list; messages start with the key ({@code objective[1].channel.index}). */
  static Objective parse(List<Map<String, Object>> spec, String key) {
    List<Objective.Term> terms = new ArrayList<>();
    for (int i = 0; i < spec.size(); i++) {
      terms.add(parseTerm(spec.get(i), key + "[" + i + "]"));
    }
    if (terms.isEmpty()) {
      throw new IllegalArgumentException(key + ": needs at least one term, e.g. [{channel: {layer: NAME, index: 0}}]");
    }
    return new Objective(terms);
  }

  private static Objective.Term parseTerm(Map<String, Object> m, String key) {
    List<String> kinds = m.keySet().stream().filter(KINDS::containsKey).toList();
    for (String k : m.keySet()) {
      if (!KINDS.containsKey(k) && !k.equals("weight") && !k.equals("image")) {
        throw new IllegalArgumentException(key + ": unknown key '" + k + "'"
            + NearestNames.didYouMean(k, KINDS.keySet()) + "; expected one of " + KINDS.keySet()
            + " with optional weight and image");
      }
    }
    if (kinds.size() != 1) {
      throw new IllegalArgumentException(key + ": needs exactly one of " + KINDS.keySet() + ", got " + kinds);
    }
    String kindKey = kinds.get(0);
    Objective.Kind kind = KINDS.get(kindKey);
    double weight = m.containsKey("weight") ? number(m.get("weight"), key + ".weight") : 1;
    int image = m.containsKey("image") ? integer(m.get("image"), key + ".image", 0, 4096) : -1;
    Object v = m.get(kindKey);
    String at = key + "." + kindKey;
    return switch (kind) {
      case CHANNEL, NEURON -> {
        Map<String, Object> f = fields(v, at, kind == Objective.Kind.NEURON ? List.of("layer", "index", "x", "y")
            : List.of("layer", "index"));
        int x = f.containsKey("x") ? integer(f.get("x"), at + ".x", 0, 1 << 20) : -1;
        int y = f.containsKey("y") ? integer(f.get("y"), at + ".y", 0, 1 << 20) : -1;
        if ((x < 0) != (y < 0)) {
          throw new IllegalArgumentException(at + ": give both x and y, or neither (the centre)");
        }
        yield new Objective.Term(kind, text(f.get("layer"), at + ".layer"), integer(f.get("index"), at + ".index", 0, 1 << 24),
            x, y, null, 0, weight, image);
      }
      case LAYER, DIVERSITY -> new Objective.Term(kind, v instanceof Map<?, ?> ? text(fields(v, at, List.of("layer")).get("layer"),
          at + ".layer") : text(v, at), -1, -1, -1, null, 0, weight, image);
      case CLASS -> new Objective.Term(kind, null, v instanceof Map<?, ?> ? integer(fields(v, at, List.of("index")).get("index"),
          at + ".index", 0, 1 << 24) : integer(v, at, 0, 1 << 24), -1, -1, null, 0, weight, image);
      case DIRECTION -> {
        Map<String, Object> f = fields(v, at, List.of("layer", "vector"));
        if (!(f.get("vector") instanceof List<?> list) || list.isEmpty()) {
          throw new IllegalArgumentException(at + ".vector: expected a non-empty list of numbers, one per channel");
        }
        List<Double> vector = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
          vector.add(number(list.get(i), at + ".vector[" + i + "]"));
        }
        yield new Objective.Term(kind, text(f.get("layer"), at + ".layer"), -1, -1, -1, vector, 0, weight, image);
      }
      case L2 -> {
        double c = number(v, at);
        if (c < 0) {
          throw new IllegalArgumentException(at + ": " + c + " is negative; give the sign with weight (weight: -1)");
        }
        yield new Objective.Term(kind, null, -1, -1, -1, null, c, weight, image);
      }
    };
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> fields(Object v, String key, List<String> allowed) {
    if (!(v instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException(key + ": expected a mapping with " + allowed + ", got " + v);
    }
    for (Object k : m.keySet()) {
      if (!allowed.contains(k)) {
        throw new IllegalArgumentException(key + ": unknown key '" + k + "'"
            + NearestNames.didYouMean(String.valueOf(k), allowed) + "; expected " + allowed);
      }
    }
    for (String required : List.of("layer", "index", "vector")) {
      if (allowed.contains(required) && !m.containsKey(required)) {
        throw new IllegalArgumentException(key + "." + required + ": missing");
      }
    }
    return (Map<String, Object>) m;
  }

  private static String text(Object v, String key) {
    if (!(v instanceof String s) || s.isEmpty()) {
      throw new IllegalArgumentException(key + ": expected a tensor name (see `netvis layers`), got " + v);
    }
    return s;
  }

  private static double number(Object v, String key) {
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      throw new IllegalArgumentException(key + ": expected a finite number, got " + v);
    }
    return n.doubleValue();
  }

  private static int integer(Object v, String key, int min, int max) {
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw new IllegalArgumentException(key + ": expected an integer from " + min + " to " + max + ", got " + v);
    }
    return ((Number) v).intValue();
  }
}

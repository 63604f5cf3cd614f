package org.netvis.engine.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.netvis.engine.spi.NearestNames;
import org.netvis.engine.spi.Param;

/**
 * Binds a step's {@code params} to a technique's parameter record: defaults filled from
 * {@link Param#defaultValue}, types and ranges checked, every problem reported with its key path.
 */
public final class ParameterBinder {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final java.util.regex.Pattern FRACTION =
      java.util.regex.Pattern.compile("([-+]?\\d+(?:\\.\\d*)?)\\s*/\\s*(\\d+(?:\\.\\d*)?)");

  private ParameterBinder() {}

  /** A parameter as {@code netvis plugins} lists it. */
  public record ParameterInfo(String name, String type, String defaultValue, String description) {}

  public static String snakeCase(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }

  public static List<ParameterInfo> describe(Class<? extends Record> type) {
    List<ParameterInfo> out = new ArrayList<>();
    for (RecordComponent c : type.getRecordComponents()) {
      Param p = param(type, c);
      out.add(new ParameterInfo(snakeCase(c.getName()), typeName(c.getGenericType()),
          p.defaultValue().isEmpty() ? "(required)" : p.defaultValue(), p.description() + range(p)));
    }
    return out;
  }

  private static String range(Param p) {
    List<String> parts = new ArrayList<>();
    if (p.classId()) {
      parts.add("a class index of the model");
    }
    if (p.min() != Double.NEGATIVE_INFINITY) {
      parts.add((p.exclusiveMin() ? "> " : ">= ") + number(p.min()));
    }
    if (p.max() != Double.POSITIVE_INFINITY) {
      parts.add("<= " + number(p.max()));
    }
    return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  /**
   * @param classes the model's class count, or -1 when unknown (class ids are then only checked >= 0)
   * @return the bound record, or null when errors were added
   */
  public static <P extends Record> P bind(Class<P> type, JsonNode params, String path, long classes,
      List<ExperimentError> errors) {
    int before = errors.size();
    RecordComponent[] components = type.getRecordComponents();
    Map<String, RecordComponent> byName = new LinkedHashMap<>();
    for (RecordComponent c : components) {
      byName.put(snakeCase(c.getName()), c);
    }
    if (params != null && !params.isNull()) {
      if (!params.isObject()) {
        errors.add(new ExperimentError(path, "expected a mapping of parameter names to values, got " + describe(params)));
        return null;
      }
      for (Iterator<String> it = params.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!byName.containsKey(key)) {
          errors.add(new ExperimentError(path + "." + key, "unknown parameter"
              + NearestNames.didYouMean(key, byName.keySet()) + "; expected one of " + byName.keySet()));
        }
      }
    }
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      String name = snakeCase(c.getName());
      Param p = param(type, c);
      JsonNode node = params == null ? null : params.get(name);
      if (node == null || node.isNull()) {
        if (p.defaultValue().isEmpty()) {
          errors.add(new ExperimentError(path + "." + name, "required parameter is missing (" + p.description() + ")"));
          continue;
        }
        try {
          node = YAML.readTree(p.defaultValue());
        } catch (Exception e) {
          throw new IllegalStateException(type.getName() + "." + c.getName() + ": bad default " + p.defaultValue(), e);
        }
      }
      values[i] = convert(node, c.getGenericType(), p, path + "." + name, classes, errors);
    }
    if (errors.size() > before) {
      return null;
    }
    try {
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        types[i] = components[i].getType();
      }
      Constructor<P> ctor = type.getDeclaredConstructor(types);
      ctor.setAccessible(true);
      return ctor.newInstance(values);
    } catch (java.lang.reflect.InvocationTargetException e) {
      errors.add(new ExperimentError(path, e.getCause().getMessage()));
      return null;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot construct " + type.getName(), e);
    }
  }

  /** The record as snake_case keys and plain values, for experiment.resolved.json. */
  public static Map<String, Object> toMap(Record r) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (RecordComponent c : r.getClass().getRecordComponents()) {
      try {
        Object v = c.getAccessor().invoke(r);
        out.put(snakeCase(c.getName()), v instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : v);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  private static Param param(Class<?> type, RecordComponent c) {
    Param p = c.getAnnotation(Param.class);
    if (p == null) {
      throw new IllegalStateException(type.getName() + "." + c.getName() + " lacks a @Param annotation");
    }
    return p;
  }

  private static Object convert(JsonNode node, Type type, Param p, String path, long classes, List<ExperimentError> errors) {
    if (type instanceof ParameterizedType pt && pt.getRawType() == Map.class) {
      // Parameters of another method (noise tunnel's base_params): checked when that method is bound.
      if (!node.isObject()) {
        errors.add(new ExperimentError(path, "expected a mapping of parameter names to values, got " + describe(node)));
        return null;
      }
      return java.util.Collections.unmodifiableMap(new ObjectMapper().convertValue(node,
          new com.fasterxml.jackson.core.type.TypeReference<java.util.LinkedHashMap<String, Object>>() { }));
    }
    if (type instanceof ParameterizedType pt && pt.getRawType() == List.class) {
      if (!node.isArray()) {
        errors.add(new ExperimentError(path, "expected a list, got " + describe(node)));
        return null;
      }
      Type element = pt.getActualTypeArguments()[0];
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < node.size(); i++) {
        out.add(convert(node.get(i), element, p, path + "[" + i + "]", classes, errors));
      }
      return List.copyOf(out.stream().map(o -> o == null ? (Object) "" : o).toList());
    }
    Class<?> cls = (Class<?>) type;
    if (cls == String.class) {
      if (!node.isTextual()) {
        errors.add(new ExperimentError(path, "expected text, got " + describe(node)));
        return null;
      }
      return node.asText();
    }
    if (cls == boolean.class || cls == Boolean.class) {
      if (!node.isBoolean()) {
        errors.add(new ExperimentError(path, "expected true or false, got " + describe(node)));
        return false;
      }
      return node.asBoolean();
    }
    if (cls.isEnum()) {
      List<String> names = new ArrayList<>();
      for (Object constant : cls.getEnumConstants()) {
        names.add(((Enum<?>) constant).name().toLowerCase(Locale.ROOT));
      }
      if (node.isTextual() && names.contains(node.asText())) {
        return cls.getEnumConstants()[names.indexOf(node.asText())];
      }
      String hint = node.isTextual() ? NearestNames.didYouMean(node.asText(), names) : "";
      errors.add(new ExperimentError(path, describe(node) + hint + " is not one of " + names));
      return null;
    }
    boolean integral = cls == int.class || cls == Integer.class || cls == long.class || cls == Long.class;
    if (!integral && node.isTextual() && FRACTION.matcher(node.asText().strip()).matches()) {
      // "8/255": budgets as papers write them.
      java.util.regex.Matcher m = FRACTION.matcher(node.asText().strip());
      m.matches();
      double denominator = Double.parseDouble(m.group(2));
      if (denominator == 0) {
        errors.add(new ExperimentError(path, describe(node) + " divides by zero"));
        return 0.0;
      }
      node = com.fasterxml.jackson.databind.node.DoubleNode.valueOf(Double.parseDouble(m.group(1)) / denominator);
    }
    if (!node.isNumber() && !(node.isTextual() && isSpecialFloat(node.asText()))) {
      errors.add(new ExperimentError(path, "expected " + (integral ? "an integer" : "a number") + ", got " + describe(node)));
      return integral ? 0 : 0.0;
    }
    double v = node.isTextual() ? Double.parseDouble(node.asText().replace(".nan", "NaN").replace(".inf", "Infinity")) : node.asDouble();
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      errors.add(new ExperimentError(path, describe(node) + " is not a finite number"));
      return integral ? 0 : 0.0;
    }
    if (integral && (!node.isIntegralNumber() || !node.canConvertToLong())) {
      errors.add(new ExperimentError(path, "expected an integer, got " + describe(node)));
      return 0;
    }
    boolean belowMin = p.exclusiveMin() ? v <= p.min() : v < p.min();
    if (belowMin || v > p.max()) {
      String expected = (p.exclusiveMin() ? "greater than " : "at least ") + number(p.min())
          + (p.max() != Double.POSITIVE_INFINITY ? " and at most " + number(p.max()) : "");
      if (p.min() == Double.NEGATIVE_INFINITY) {
        expected = "at most " + number(p.max());
      }
      errors.add(new ExperimentError(path, number(v) + " is out of range (expected " + expected + ")"));
    }
    // A class id parameter whose minimum is -1 takes -1 as "none" (an untargeted attack).
    boolean none = v == -1 && p.min() == -1;
    if (p.classId() && !none && (v < 0 || (classes > 0 && v >= classes))) {
      errors.add(new ExperimentError(path, number(v) + " is not a class of the model (expected 0 to "
          + (classes > 0 ? Long.toString(classes - 1) : "classes - 1") + ")"));
    }
    if (cls == int.class || cls == Integer.class) {
      if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
        errors.add(new ExperimentError(path, number(v) + " is too large for an integer parameter"));
        return 0;
      }
      return (int) v;
    }
    if (cls == long.class || cls == Long.class) {
      return node.asLong();
    }
    if (cls == float.class || cls == Float.class) {
      return (float) v;
    }
    return v;
  }

  private static boolean isSpecialFloat(String s) {
    return s.equalsIgnoreCase(".nan") || s.equalsIgnoreCase("nan") || s.matches("[-+]?\\.inf|[-+]?Infinity");
  }

  static String describe(JsonNode node) {
    if (node.isTextual()) {
      return "'" + node.asText() + "'";
    }
    if (node.isArray()) {
      return "a list " + node;
    }
    if (node.isObject()) {
      return "a mapping " + node;
    }
    return node.toString();
  }

  static String typeName(Type t) {
    if (t instanceof ParameterizedType pt && pt.getRawType() == Map.class) {
      return "mapping";
    }
    if (t instanceof ParameterizedType pt) {
      return "list of " + typeName(pt.getActualTypeArguments()[0]);
    }
    Class<?> c = (Class<?>) t;
    if (c.isEnum()) {
      List<String> names = new ArrayList<>();
      for (Object constant : c.getEnumConstants()) {
        names.add(((Enum<?>) constant).name().toLowerCase(Locale.ROOT));
      }
      return String.join(" | ", names);
    }
    return switch (c.getSimpleName()) {
      case "int", "Integer", "long", "Long" -> "integer";
      case "double", "Double", "float", "Float" -> "number";
      case "boolean", "Boolean" -> "boolean";
      case "String" -> "text";
      default -> c.getSimpleName();
    };
  }
}

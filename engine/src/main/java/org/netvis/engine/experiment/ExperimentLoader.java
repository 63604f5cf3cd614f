package org.netvis.engine.experiment;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.netvis.engine.graph.ModelGraph;
import org.netvis.engine.image.ImageFiles;
import org.netvis.engine.input.InputLoader;
import org.netvis.engine.model.ModelDescriptor;
import org.netvis.engine.model.ModelRegistry;
import org.netvis.engine.dataset.DatasetRegistry;
import org.netvis.engine.plugin.PluginRegistry;
import org.netvis.engine.runtime.Device;
import org.netvis.engine.spi.NearestNames;

/**
 * Reads an experiment file (JSON or YAML by extension, one schema), applies {@code --set}
 * overrides and validates everything before any model is loaded, reporting all problems at once.
 */
public final class ExperimentLoader {
  private static final Set<String> TOP_LEVEL =
      Set.of("name", "description", "model", "device", "seed", "threads", "max_pixels", "fail_on_bad_input", "inputs",
          "labels", "steps");
  private static final Set<String> STEP_KEYS = Set.of("technique", "params", "images");
  private static final Pattern SEGMENT = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)((?:\\[\\d+])*)");
  static final int MAX_STEPS = 1000;
  static final int MAX_THREADS = 1024;

  private final PluginRegistry plugins;
  private final ModelRegistry models;
  private final DatasetRegistry datasets;

  public ExperimentLoader(PluginRegistry plugins, ModelRegistry models) {
    this(plugins, models, DatasetRegistry.fromEnvironment(false));
  }

  /** @param datasets resolves input entries that name a data set ({@code inputs: [imagenet_val_25]}) */
  public ExperimentLoader(PluginRegistry plugins, ModelRegistry models, DatasetRegistry datasets) {
    this.plugins = plugins;
    this.models = models;
    this.datasets = datasets;
  }

  private boolean needsInputs(String technique) {
    return plugins.find(technique).map(p -> p.provider().needsInputs()).orElse(true);
  }

  public static ObjectMapper mapperFor(Path file) {
    String n = file.getFileName().toString().toLowerCase();
    if (n.endsWith(".yaml") || n.endsWith(".yml")) {
      return new ObjectMapper(new YAMLFactory());
    }
    if (n.endsWith(".json")) {
      return new ObjectMapper();
    }
    throw new ExperimentException(file, List.of(new ExperimentError("",
        "unknown experiment file type; expected a .yaml, .yml or .json file")));
  }

  public Experiment load(Path file, List<String> overrides) {
    Path abs = file.toAbsolutePath().normalize();
    if (!Files.isRegularFile(abs)) {
      throw new ExperimentException(abs, List.of(new ExperimentError("", "no such experiment file")));
    }
    JsonNode root;
    try {
      root = mapperFor(abs).readTree(abs.toFile());
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
      throw new ExperimentException(abs, List.of(new ExperimentError("", "syntax error at " + where + e.getOriginalMessage())));
    } catch (IOException e) {
      throw new ExperimentException(abs, List.of(new ExperimentError("", "cannot read: " + e.getMessage())));
    }
    if (root == null || !root.isObject()) {
      throw new ExperimentException(abs, List.of(new ExperimentError("",
          "expected a mapping with name, model, inputs and steps at the top level")));
    }
    List<ExperimentError> errors = new ArrayList<>();
    for (String o : overrides) {
      applyOverride((ObjectNode) root, o, errors);
    }
    Experiment e = validate(abs, (ObjectNode) root, errors);
    if (!errors.isEmpty()) {
      throw new ExperimentException(abs, errors);
    }
    return e;
  }

  /** {@code steps[1].params.target=7}: the value is read as YAML (numbers, lists, text). */
  static void applyOverride(ObjectNode root, String override, List<ExperimentError> errors) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      errors.add(new ExperimentError("--set " + override, "expected KEY=VALUE, e.g. steps[1].params.target=7"));
      return;
    }
    String key = override.substring(0, eq).trim();
    JsonNode value;
    try {
      value = new ObjectMapper(new YAMLFactory()).readTree(override.substring(eq + 1));
      if (value == null || value.isMissingNode()) {
        value = com.fasterxml.jackson.databind.node.NullNode.getInstance();
      }
    } catch (IOException e) {
      errors.add(new ExperimentError("--set " + key, "cannot read value '" + override.substring(eq + 1) + "'"));
      return;
    }
    String[] parts = key.split("\\.");
    JsonNode node = root;
    for (int i = 0; i < parts.length; i++) {
      Matcher m = SEGMENT.matcher(parts[i]);
      if (!m.matches()) {
        errors.add(new ExperimentError("--set " + key, "'" + parts[i] + "' is not a key or key[index]"));
        return;
      }
      boolean last = i == parts.length - 1;
      String field = m.group(1);
      List<Integer> indices = new ArrayList<>();
      Matcher idx = Pattern.compile("\\[(\\d+)]").matcher(m.group(2));
      while (idx.find()) {
        indices.add(Integer.parseInt(idx.group(1)));
      }
      if (!(node instanceof ObjectNode obj)) {
        errors.add(new ExperimentError("--set " + key, "'" + field + "' is not inside a mapping"));
        return;
      }
      if (indices.isEmpty()) {
        if (last) {
          obj.set(field, value);
          return;
        }
        JsonNode next = obj.get(field);
        if (next == null || next.isNull()) {
          next = obj.putObject(field);
        }
        node = next;
        continue;
      }
      JsonNode current = obj.get(field);
      for (int k = 0; k < indices.size(); k++) {
        if (!(current instanceof ArrayNode arr) || indices.get(k) >= arr.size()) {
          errors.add(new ExperimentError("--set " + key, field + "[" + indices.get(k) + "] does not exist"));
          return;
        }
        if (last && k == indices.size() - 1) {
          arr.set(indices.get(k), value);
          return;
        }
        current = arr.get(indices.get(k));
      }
      node = current;
    }
  }

  private Experiment validate(Path file, ObjectNode root, List<ExperimentError> errors) {
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!TOP_LEVEL.contains(k)) {
        errors.add(new ExperimentError(k, "unknown key" + NearestNames.didYouMean(k, TOP_LEVEL) + "; expected one of "
            + new java.util.TreeSet<>(TOP_LEVEL)));
      }
    }
    Path base = file.getParent();
    String name = requiredText(root, "name", errors);
    if (name != null) {
      name = sanitizeName(name);
    }
    String description = optionalText(root, "description", errors);
    String model = requiredText(root, "model", errors);
    String device = Optional.ofNullable(optionalText(root, "device", errors)).orElse("auto");
    try {
      Device.parse(device);
    } catch (IllegalArgumentException e) {
      errors.add(new ExperimentError("device", "'" + device + "' is not one of auto, cpu, cuda"));
    }
    long seed = integer(root, "seed", 0, Long.MIN_VALUE, Long.MAX_VALUE, errors);
    int threads = (int) integer(root, "threads", 0, 0, MAX_THREADS, errors);
    long maxPixels = integer(root, "max_pixels", ImageFiles.DEFAULT_MAX_PIXELS, 1, 1L << 40, errors);
    boolean failOnBadInput = bool(root, "fail_on_bad_input", false, errors);

    // The model: a descriptor id or an .onnx path, checked without loading it.
    String modelRef = model;
    long classes = -1;
    if (model != null) {
      try {
        if (model.endsWith(".onnx") || model.contains("/")) {
          Path p = base.resolve(model).normalize();
          modelRef = p.toString();
          if (!Files.isRegularFile(p)) {
            errors.add(new ExperimentError("model", "file " + p + " does not exist"));
          } else {
            classes = ModelGraph.read(p).classes();
          }
        } else {
          ModelDescriptor d = models.descriptors().get(model);
          if (d == null) {
            errors.add(new ExperimentError("model", "unknown model '" + model + "'"
                + NearestNames.didYouMean(model, models.descriptors().keySet()) + " (known ids: "
                + String.join(", ", models.descriptors().keySet()) + "; or give a path to an .onnx file)"));
          } else {
            classes = d.classes() == null ? -1 : d.classes().count();
          }
        }
      } catch (IOException | RuntimeException e) {
        errors.add(new ExperimentError("model", e.getMessage()));
      }
    }

    List<String> inputs = new ArrayList<>();
    List<Path> inputFiles = new ArrayList<>();
    JsonNode in = root.get("inputs");
    if (in == null || in.isNull()) {
      // Required unless every step works without images; checked once the steps are known.
    } else if (!in.isArray() || in.isEmpty()) {
      errors.add(new ExperimentError("inputs", "expected a non-empty list, got " + ParameterBinder.describe(in)));
    } else {
      for (int i = 0; i < in.size(); i++) {
        JsonNode entry = in.get(i);
        if (!entry.isTextual()) {
          errors.add(new ExperimentError("inputs[" + i + "]", "expected a path, got " + ParameterBinder.describe(entry)));
          continue;
        }
        inputs.add(entry.asText());
        try {
          if (datasets.isId(entry.asText())) {
            inputFiles.add(datasets.resolve(entry.asText()));
            continue;
          }
          if (datasets.looksLikeId(entry.asText()) && !Files.exists(base.resolve(entry.asText()))) {
            errors.add(new ExperimentError("inputs[" + i + "]", "'" + entry.asText() + "' is neither a file nor a known"
                + " data set id (known: " + String.join(", ", datasets.descriptors().keySet()) + ", from "
                + datasets.searchPath().directories() + ")"));
            continue;
          }
          for (Path p : InputLoader.expand(entry.asText(), base)) {
            if (!InputLoader.isInput(p)) {
              errors.add(new ExperimentError("inputs[" + i + "]", p + " is not a .png, .jpg, .jpeg, .npy or .npz file"));
            }
            inputFiles.add(p);
          }
        } catch (IOException | RuntimeException e) {
          errors.add(new ExperimentError("inputs[" + i + "]", e.getMessage()));
        }
      }
    }

    List<Long> labels = null;
    JsonNode lab = root.get("labels");
    if (lab != null && !lab.isNull()) {
      if (!lab.isArray()) {
        errors.add(new ExperimentError("labels", "expected a list of class indices, got " + ParameterBinder.describe(lab)));
      } else {
        labels = new ArrayList<>();
        for (int i = 0; i < lab.size(); i++) {
          JsonNode l = lab.get(i);
          if (!l.isIntegralNumber()) {
            errors.add(new ExperimentError("labels[" + i + "]", "expected a class index, got " + ParameterBinder.describe(l)));
          } else if (l.asLong() < 0 || (classes > 0 && l.asLong() >= classes)) {
            errors.add(new ExperimentError("labels[" + i + "]", l.asLong() + " is not a class of the model (expected 0 to "
                + (classes > 0 ? classes - 1 : "classes - 1") + ")"));
          } else {
            labels.add(l.asLong());
          }
        }
      }
    }

    List<Experiment.Step> steps = new ArrayList<>();
    JsonNode st = root.get("steps");
    if (st == null || st.isNull()) {
      errors.add(new ExperimentError("steps", "required: a list of {technique: ID, params: {...}}; techniques: "
          + plugins.ids()));
    } else if (!st.isArray() || st.isEmpty()) {
      errors.add(new ExperimentError("steps", "expected a non-empty list, got " + ParameterBinder.describe(st)));
    } else if (st.size() > MAX_STEPS) {
      errors.add(new ExperimentError("steps", st.size() + " steps is more than the limit of " + MAX_STEPS));
    } else {
      for (int i = 0; i < st.size(); i++) {
        String path = "steps[" + i + "]";
        JsonNode s = st.get(i);
        if (!s.isObject()) {
          errors.add(new ExperimentError(path, "expected {technique: ID, params: {...}}, got " + ParameterBinder.describe(s)));
          continue;
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
          String k = it.next();
          if (!STEP_KEYS.contains(k)) {
            errors.add(new ExperimentError(path + "." + k, "unknown key" + NearestNames.didYouMean(k, STEP_KEYS)
                + "; expected technique, params and images"));
          }
        }
        JsonNode t = s.get("technique");
        if (t == null || !t.isTextual()) {
          errors.add(new ExperimentError(path + ".technique", "required: one of " + plugins.ids()));
          continue;
        }
        Optional<PluginRegistry.Plugin> plugin = plugins.find(t.asText());
        if (plugin.isEmpty()) {
          errors.add(new ExperimentError(path + ".technique", "unknown technique '" + t.asText() + "'"
              + NearestNames.didYouMean(t.asText(), plugins.ids()) + "; expected one of " + plugins.ids()));
          continue;
        }
        Record params = ParameterBinder.bind(plugin.get().provider().parameters(),
            ParameterFiles.resolve(s.get("params"), base, path + ".params", errors), path + ".params", classes, errors);
        List<Integer> images = imageSelection(s.get("images"), path + ".images", errors);
        if (params != null) {
          steps.add(new Experiment.Step(t.asText(), params, images));
        }
      }
    }
    if ((in == null || in.isNull()) && (steps.isEmpty() || steps.stream().anyMatch(s -> needsInputs(s.technique())))) {
      errors.add(new ExperimentError("inputs", "required: a list of image files, directories, globs, .npy or .npz files,"
          + " or data set ids (" + String.join(", ", datasets.descriptors().keySet()) + ")"));
    }
    return new Experiment(file, name, description, modelRef, device, seed, threads, maxPixels, failOnBadInput, inputs,
        inputFiles, labels, steps);
  }

  /** A step's image indices; checked against the image count when the inputs are loaded. */
  private static List<Integer> imageSelection(JsonNode node, String path, List<ExperimentError> errors) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isArray() || node.isEmpty()) {
      errors.add(new ExperimentError(path, "expected a non-empty list of image indices, got " + ParameterBinder.describe(node)));
      return null;
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode v = node.get(i);
      if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() > Integer.MAX_VALUE) {
        errors.add(new ExperimentError(path + "[" + i + "]", "expected an image index (0, 1, ...), got "
            + ParameterBinder.describe(v)));
      } else {
        out.add(v.asInt());
      }
    }
    return out;
  }

  /** Run names become directory names: path separators, "..", and odd characters are replaced. */
  public static String sanitizeName(String name) {
    String s = name.replaceAll("[^A-Za-z0-9._-]", "_").replace("..", "_");
    s = s.replaceAll("^[.]+", "_");
    return s.isEmpty() ? "experiment" : s.substring(0, Math.min(s.length(), 100));
  }

  private static String requiredText(ObjectNode root, String key, List<ExperimentError> errors) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      errors.add(new ExperimentError(key, "required"));
      return null;
    }
    if (!n.isTextual() || n.asText().isBlank()) {
      errors.add(new ExperimentError(key, "expected non-empty text, got " + ParameterBinder.describe(n)));
      return null;
    }
    return n.asText();
  }

  private static String optionalText(ObjectNode root, String key, List<ExperimentError> errors) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      errors.add(new ExperimentError(key, "expected text, got " + ParameterBinder.describe(n)));
      return null;
    }
    return n.asText();
  }

  private static boolean bool(ObjectNode root, String key, boolean fallback, List<ExperimentError> errors) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isBoolean()) {
      errors.add(new ExperimentError(key, "expected true or false, got " + ParameterBinder.describe(n)));
      return fallback;
    }
    return n.asBoolean();
  }

  private static long integer(ObjectNode root, String key, long fallback, long min, long max, List<ExperimentError> errors) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      errors.add(new ExperimentError(key, "expected an integer, got " + ParameterBinder.describe(n)));
      return fallback;
    }
    if (n.asLong() < min || n.asLong() > max) {
      errors.add(new ExperimentError(key, n.asLong() + " is out of range (expected " + min + " to " + max + ")"));
      return fallback;
    }
    return n.asLong();
  }
}

package org.netvis.engine.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Step parameters that name {@code .npy} files (an integrated-gradients baseline, deletion/insertion
 * maps, also inside {@code method_params}): a relative path resolves against the experiment file's
 * directory, as inputs do, so a run does not depend on the directory it starts from, and the resolved
 * experiment records where each file was; a file that does not exist is reported at load time.
 */
final class ParameterFiles {
  private ParameterFiles() {}

  /** A copy of {@code params} with every .npy text value resolved against {@code base}. */
  static JsonNode resolve(JsonNode params, Path base, String path, List<ExperimentError> errors) {
    if (params == null) {
      return null;
    }
    if (params.isTextual() && params.asText().toLowerCase(Locale.ROOT).endsWith(".npy")) {
      Path file;
      try {
        file = base.resolve(params.asText()).normalize();
      } catch (InvalidPathException e) {
        errors.add(new ExperimentError(path, "'" + params.asText() + "' is not a file path (" + e.getReason() + ")"));
        return params;
      }
      if (!Files.isRegularFile(file)) {
        errors.add(new ExperimentError(path, "file " + file + " does not exist (expected an .npy array)"));
      }
      return TextNode.valueOf(file.toString());
    }
    if (params.isArray()) {
      ArrayNode out = ((ArrayNode) params).arrayNode();
      for (int i = 0; i < params.size(); i++) {
        out.add(resolve(params.get(i), base, path + "[" + i + "]", errors));
      }
      return out;
    }
    if (params.isObject()) {
      ObjectNode out = ((ObjectNode) params).objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = params.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.set(e.getKey(), resolve(e.getValue(), base, path + "." + e.getKey(), errors));
      }
      return out;
    }
    return params;
  }
}

package org.netvis.engine.model;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A model found on disk: its descriptor, the model file, that file's sha256, the class names (empty
 * when the descriptor names none or they were not found), and the sha256 of each external data file
 * its tensors' values were read from, by its path relative to the model's directory (empty when the
 * model file holds every value; known once the model is opened).
 */
public record ResolvedModel(ModelDescriptor descriptor, Path path, String sha256, List<String> classNames,
    Map<String, String> externalData) {
  public ResolvedModel {
    classNames = List.copyOf(classNames);
    externalData = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(externalData));
  }

  public ResolvedModel(ModelDescriptor descriptor, Path path, String sha256, List<String> classNames) {
    this(descriptor, path, sha256, classNames, Map.of());
  }

  /** This model with the digests of the external data files its values were read from. */
  public ResolvedModel withExternalData(Map<String, String> digests) {
    return new ResolvedModel(descriptor, path, sha256, classNames, digests);
  }

  /**
   * What identifies the model's graph and weights together: the model file's sha256 where it holds
   * every value, else a sha256 over it and each external data file's name and sha256 (a data file
   * changed beside an unchanged model file is another model).
   */
  public String weightsSha256() {
    if (externalData.isEmpty()) {
      return sha256;
    }
    StringBuilder all = new StringBuilder(sha256).append('\n');
    externalData.forEach((name, sha) -> all.append(name).append(' ').append(sha).append('\n'));
    return Sha256.of(all.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The model's part of a run record: id, path, sha256 and, where there are some, the external data
   * files' digests (the run manifest and the Spark job's manifest start from it).
   */
  public Map<String, Object> provenance() {
    Map<String, Object> record = new java.util.LinkedHashMap<>();
    record.put("id", id());
    record.put("path", path.toString());
    record.put("sha256", sha256);
    if (!externalData.isEmpty()) {
      record.put("external_data", externalData);
    }
    return record;
  }

  public String id() {
    return descriptor.id();
  }

  public Preprocessing preprocessing() {
    return descriptor.preprocessing();
  }

  /** The class name for an index, or "class N" when names are unknown. */
  public String className(int index) {
    return index >= 0 && index < classNames.size() ? classNames.get(index) : "class " + index;
  }
}

package org.netvis.engine.model;

import java.nio.file.Path;
import java.util.List;

/**
 * A model found on disk: its descriptor, the weights file, that file's sha256, and the class names
 * (empty when the descriptor names none or they were not found).
 */
public record ResolvedModel(ModelDescriptor descriptor, Path path, String sha256, List<String> classNames) {
  public ResolvedModel {
    classNames = List.copyOf(classNames);
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

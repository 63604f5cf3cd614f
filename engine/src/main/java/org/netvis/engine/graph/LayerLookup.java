package org.netvis.engine.graph;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.netvis.engine.spi.NearestNames;

/**
 * Finds a tensor that a technique names (a Grad-CAM layer, a feature-visualization unit) among the
 * tensors on the gradient path, and says plainly why a name does not fit: no such tensor (with the
 * nearest names), or a tensor the gradient does not flow through. A name that is no tensor may name
 * a PyTorch module as its qualified name ({@code layer4}, {@code features.12}, {@code
 * layer4.1.conv2}), as Captum takes {@code model.layer4}: where torch.onnx scoped the nodes by module
 * ({@code /layer4/layer4.1/conv2/Conv}), the module's output is the last tensor on the path that a
 * node in its scope makes.
 *
 * @param model the model's id, for messages and the {@code netvis layers} hint
 * @param path the tensors on the gradient path ({@link GradientGraphBuilder#gradientPath})
 * @param allTensors every tensor name of the model
 */
public record LayerLookup(String model, List<GradientGraphBuilder.LayerTensor> path, Set<String> allTensors) {

  /**
   * The tensor named {@code name}, or the output of the module it names; {@code key} (e.g.
   * {@code objective[0].channel.layer}) starts any message.
   */
  public GradientGraphBuilder.LayerTensor find(String key, String name) {
    for (GradientGraphBuilder.LayerTensor l : path) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    String hint = "`netvis layers " + model + "` lists the " + path.size() + " tensors on it";
    if (allTensors.contains(name)) {
      throw new IllegalArgumentException(key + ": '" + name + "' is a tensor of " + model + " but not on its gradient"
          + " path (it does not depend on the image, or the logits do not depend on it); " + hint);
    }
    Map<String, GradientGraphBuilder.LayerTensor> modules = modules();
    if (modules.containsKey(name)) {
      return modules.get(name);
    }
    Set<String> names = new LinkedHashSet<>();
    path.forEach(l -> names.add(l.name()));
    names.addAll(modules.keySet());
    throw new IllegalArgumentException(key + ": '" + name + "' is not a tensor of " + model + "; nearest names: "
        + String.join(", ", NearestNames.nearest(name, names, 3)) + "; " + hint);
  }

  /**
   * Every module whose nodes torch.onnx scoped, outer ones before the modules inside them, in the order
   * they begin, each with its output: the last tensor on the gradient path that a node in its scope
   * makes. Empty for a model whose nodes are not named by module.
   */
  public Map<String, GradientGraphBuilder.LayerTensor> modules() {
    Map<String, GradientGraphBuilder.LayerTensor> modules = new LinkedHashMap<>();
    for (GradientGraphBuilder.LayerTensor l : path) {
      String module = modulePath(l.nodeName());
      if (module == null) {
        continue;
      }
      // The module and each one around it, outermost first (features, then features.12).
      int end = -1;
      do {
        end = module.indexOf('.', end + 1);
        String scope = end < 0 ? module : module.substring(0, end);
        modules.put(scope, l); // a later tensor of the scope replaces the value, not the order
      } while (end >= 0);
    }
    return modules;
  }

  /**
   * The qualified name of the module a torch.onnx node belongs to, from the node's scopes:
   * {@code /layer4/layer4.1/conv2/Conv} is in {@code layer4.1.conv2}. A scope is a child's attribute
   * name, or its parent's name and the child's index ({@code layer4.1} under {@code layer4}); the last
   * part names the operator. Null for a node outside any module's scope or not named this way.
   */
  static String modulePath(String nodeName) {
    if (nodeName == null || !nodeName.startsWith("/")) {
      return null;
    }
    String[] scopes = nodeName.substring(1).split("/");
    StringBuilder path = new StringBuilder();
    String previous = null;
    int lastStart = 0;
    for (int i = 0; i < scopes.length - 1; i++) {
      String scope = scopes[i];
      if (previous != null && scope.startsWith(previous + ".")) {
        path.setLength(lastStart);
      } else if (path.length() > 0) {
        path.append('.');
      }
      lastStart = path.length();
      path.append(scope);
      previous = scope;
    }
    return path.length() == 0 ? null : path.toString();
  }
}

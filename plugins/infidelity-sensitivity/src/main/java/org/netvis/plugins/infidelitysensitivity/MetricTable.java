package org.netvis.plugins.infidelitysensitivity;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.spi.StepResult;

/** A metric's values per method and image, as results.json holds them: per method, and per image. */
final class MetricTable {
  private final String metric;
  private final Map<String, Object> methods = new LinkedHashMap<>();
  private final List<Map<String, Object>> images = new ArrayList<>();

  MetricTable(String metric, InputBatch inputs) {
    this.metric = metric;
    for (int i = 0; i < inputs.size(); i++) {
      Map<String, Object> image = new LinkedHashMap<>();
      image.put("image", inputs.names().get(i));
      image.put("target", inputs.labels()[i]);
      image.put(metric, new LinkedHashMap<String, Object>());
      images.add(image);
    }
  }

  /**
   * One method's values, with what it settled on against the model ({@code settled}: the layer a
   * Grad-CAM explains, say).
   */
  @SuppressWarnings("unchecked")
  void add(String method, Map<String, Object> settled, double[] values, double seconds) {
    for (int i = 0; i < values.length; i++) {
      ((Map<String, Object>) images.get(i).get(metric)).put(method, values[i]);
    }
    Map<String, Object> r = new LinkedHashMap<>(settled);
    r.put("mean", Arrays.stream(values).average().orElse(0));
    r.put("median", median(values));
    r.put("values", values);
    r.put("seconds", seconds);
    methods.put(method, r);
  }

  StepResult result(Map<String, Object> settings) {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("metric", metric);
    values.put("explained_class", "each image's label, else the model's top-1, as the attribution steps explain");
    values.putAll(settings);
    values.put("methods", methods);
    values.put("images", images);
    return StepResult.of(values);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length == 0 ? 0 : s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
}

package org.netvis.engine.experiment;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated experiment: every default filled in, every path absolute.
 *
 * @param file the experiment file it was read from
 * @param inputs the input entries as written (resolved against the file's directory)
 * @param inputFiles the files those entries name, in order
 * @param labels one class per image, or null (then .npz labels, else the model's top-1)
 * @param failOnBadInput whether an unreadable image fails a Spark job instead of becoming a row with its
 *     error (a local run reads every input before its first step and stops at an unreadable one)
 */
public record Experiment(Path file, String name, String description, String model, String device, long seed,
    int threads, long maxPixels, boolean failOnBadInput, List<String> inputs, List<Path> inputFiles, List<Long> labels, List<Step> steps) {

  public Experiment {
    inputs = List.copyOf(inputs);
    inputFiles = List.copyOf(inputFiles);
    labels = labels == null ? null : List.copyOf(labels);
    steps = List.copyOf(steps);
  }

  /**
   * One step: a technique, its bound parameter record, and the indices of the experiment's images it
   * works on (null: all of them).
   */
  public record Step(String technique, Record parameters, List<Integer> images) {
    public Step {
      images = images == null ? null : List.copyOf(images);
    }
  }

  /** The resolved experiment as written to experiment.resolved.json; itself a valid experiment file. */
  public Map<String, Object> toResolvedMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    if (description != null) {
      m.put("description", description);
    }
    m.put("model", model);
    m.put("device", device);
    m.put("seed", seed);
    m.put("threads", threads);
    m.put("max_pixels", maxPixels);
    m.put("fail_on_bad_input", failOnBadInput);
    m.put("inputs", inputFiles.stream().map(Path::toString).toList());
    m.put("labels", labels);
    m.put("steps", steps.stream().map(s -> {
      Map<String, Object> step = new LinkedHashMap<>();
      step.put("technique", s.technique());
      if (s.images() != null) {
        step.put("images", s.images());
      }
      step.put("params", ParameterBinder.toMap(s.parameters()));
      return step;
    }).toList());
    return m;
  }
}

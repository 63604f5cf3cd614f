package org.netvis.engine.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One model as described by a file in {@code models/}: which weights file to find, how to check it,
 * how images are prepared for it, and where a user obtains it. {@code output}: the graph output whose
 * scores netvis explains, for a file with several outputs whose first is not the class scores (null:
 * the first).
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record ModelDescriptor(
    String id,
    String description,
    String file,
    List<String> sha256,
    Input input,
    String output,
    Preprocessing preprocessing,
    Classes classes,
    Obtain obtain) {

  public ModelDescriptor {
    sha256 = sha256 == null ? List.of() : List.copyOf(sha256);
  }

  /**
   * The model input as the descriptor expects it (the engine reads the real one from the graph).
   * {@code layout}: NCHW, NHWC (channels-last, as TensorFlow/Keras exports), or null/auto to detect.
   */
  public record Input(String name, String layout, int size) {}

  /** The declared input layout, or null to detect it from the graph. */
  public org.netvis.engine.graph.ImageLayout inputLayout() {
    return org.netvis.engine.graph.ImageLayout.parse(input == null ? null : input.layout(), "model '" + id + "'");
  }

  /** The class count and the file with one class name per line (line i = class i). */
  public record Classes(int count, String names) {}

  /** Where the weights come from when they are not on disk. */
  public record Obtain(
      String download,
      @JsonProperty("download_sha256") String downloadSha256,
      String export) {}

  /** A descriptor for a plain .onnx file given on the command line. */
  public static ModelDescriptor forFile(String fileName, Preprocessing preprocessing) {
    String id = fileName.endsWith(".onnx") ? fileName.substring(0, fileName.length() - 5) : fileName;
    return new ModelDescriptor(id, "ONNX file " + fileName, fileName, List.of(),
        new Input(null, null, preprocessing.crop()), null, preprocessing, null, null);
  }
}

package org.netvis.engine.model;

import java.util.List;

/**
 * How pixels become model input: resize the shorter side to {@code resize} (bilinear, antialiased),
 * center-crop {@code crop} x {@code crop}, divide by {@code scale}, put the channels in {@code color}
 * order (RGB, or BGR for Caffe-era models), subtract mean and divide by std per model channel.
 */
public record Preprocessing(int resize, int crop, String color, double scale, List<Double> mean, List<Double> std) {

  /** torchvision's ImageNet defaults, used for plain .onnx files unless flags say otherwise. */
  public static final Preprocessing IMAGENET =
      new Preprocessing(224, 224, "RGB", 255.0, List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225));

  public Preprocessing {
    mean = List.copyOf(mean);
    std = List.copyOf(std);
    color = color == null ? "RGB" : color.toUpperCase(java.util.Locale.ROOT);
    if (!color.equals("RGB") && !color.equals("BGR")) {
      throw new IllegalArgumentException("preprocessing color '" + color + "' is not RGB or BGR");
    }
    if (!(scale > 0)) {
      throw new IllegalArgumentException("preprocessing scale must be positive, got " + scale);
    }
    if (mean.size() != std.size()) {
      throw new IllegalArgumentException("preprocessing mean has " + mean.size() + " values and std " + std.size());
    }
    for (double s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("preprocessing std must be positive, got " + std);
      }
    }
  }

  /** The image channel (0 = R, 1 = G, 2 = B) that feeds model channel {@code c}. */
  public int imageChannel(int c) {
    return color.equals("BGR") ? 2 - c : c;
  }

  public Preprocessing withSize(int size) {
    return new Preprocessing(size, size, color, scale, mean, std);
  }
}

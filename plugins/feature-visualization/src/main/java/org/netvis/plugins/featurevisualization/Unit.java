package org.netvis.plugins.featurevisualization;

import java.util.Arrays;

/**
 * How a tensor on the gradient path is read as channels over positions: [N, C, H, W] (channels
 * first, as ONNX convolutions write them), [N, T, D] (tokens of a transformer: D channels over T
 * positions) or [N, D] (one position).
 *
 * @param shape the tensor's shape for one image (batch axis 1)
 */
record Unit(String name, long[] shape) {

  static Unit of(String name, long[] pathShape) {
    long[] s = pathShape.clone();
    if (s.length < 2 || s.length > 4) {
      throw new IllegalArgumentException("'" + name + "' has shape " + Arrays.toString(pathShape)
          + "; a unit needs a tensor [N, C, H, W], [N, tokens, channels] or [N, channels]");
    }
    s[0] = 1;
    return new Unit(name, s);
  }

  int channels() {
    return (int) (shape.length == 3 ? shape[2] : shape[1]);
  }

  int positions() {
    return switch (shape.length) {
      case 4 -> (int) (shape[2] * shape[3]);
      case 3 -> (int) shape[1];
      default -> 1;
    };
  }

  int itemSize() {
    return channels() * positions();
  }

  /** Offset of (channel, position) within one image's slice of the tensor. */
  int offset(int channel, int position) {
    return shape.length == 3 ? position * channels() + channel : channel * positions() + position;
  }

  /** The centre position (Lucid's neuron: x = width // 2, y = height // 2), or the middle token. */
  int centre() {
    return switch (shape.length) {
      case 4 -> (int) ((shape[2] / 2) * shape[3] + shape[3] / 2);
      case 3 -> (int) (shape[1] / 2);
      default -> 0;
    };
  }

  /** The position at (x, y) of a [N, C, H, W] tensor. */
  int position(int x, int y) {
    if (shape.length != 4) {
      throw new IllegalArgumentException("x and y need a tensor [N, C, H, W]; '" + name + "' has shape "
          + Arrays.toString(shape));
    }
    if (y < 0 || y >= shape[2] || x < 0 || x >= shape[3]) {
      throw new IllegalArgumentException("(x " + x + ", y " + y + ") is outside the " + shape[3] + "x" + shape[2]
          + " positions of '" + name + "'");
    }
    return (int) (y * shape[3] + x);
  }

  long[] batchShape(int n) {
    long[] s = shape.clone();
    s[0] = n;
    return s;
  }
}

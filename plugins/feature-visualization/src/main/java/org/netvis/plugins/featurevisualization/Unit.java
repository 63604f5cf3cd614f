package org.netvis.plugins.featurevisualization;

import java.util.Arrays;
import org.netvis.engine.graph.GradientGraphBuilder;
import org.netvis.engine.graph.ImageLayout;

/**
 * How a tensor on the gradient path is read as channels over positions: [N, C, H, W] (channels
 * first, as ONNX convolutions write them), [N, H, W, C] (channels last, as Swin's stages: where the
 * graph fixes that layout, {@link GradientGraphBuilder.LayerTensor#layout}), [N, T, D] (tokens of a
 * transformer: D channels over T positions) or [N, D] (one position).
 *
 * @param shape the tensor's shape for one image (batch axis 1)
 * @param channelsLast whether the last axis holds the channels (tokens, or a channels-last map)
 */
record Unit(String name, long[] shape, boolean channelsLast) {

  /** A unit whose 4-D tensor, if any, is channels first. */
  Unit(String name, long[] shape) {
    this(name, shape, shape.length == 3);
  }

  static Unit of(String name, long[] pathShape, ImageLayout layout) {
    long[] s = pathShape.clone();
    if (s.length < 2 || s.length > 4) {
      throw new IllegalArgumentException("'" + name + "' has shape " + Arrays.toString(pathShape)
          + "; a unit needs a tensor [N, C, H, W], [N, H, W, C], [N, tokens, channels] or [N, channels]");
    }
    s[0] = 1;
    return new Unit(name, s, s.length == 3 || (s.length == 4 && layout == ImageLayout.NHWC));
  }

  int channels() {
    return (int) (channelsLast ? shape[shape.length - 1] : shape[1]);
  }

  /** Height and width of a 4-D tensor. */
  private long[] grid() {
    return (channelsLast ? ImageLayout.NHWC : ImageLayout.NCHW).spatial(shape);
  }

  int positions() {
    return switch (shape.length) {
      case 4 -> (int) (grid()[0] * grid()[1]);
      case 3 -> (int) shape[1];
      default -> 1;
    };
  }

  int itemSize() {
    return channels() * positions();
  }

  /** Offset of (channel, position) within one image's slice of the tensor. */
  int offset(int channel, int position) {
    return channelsLast ? position * channels() + channel : channel * positions() + position;
  }

  /** The centre position (Lucid's neuron: x = width // 2, y = height // 2), or the middle token. */
  int centre() {
    return switch (shape.length) {
      case 4 -> (int) ((grid()[0] / 2) * grid()[1] + grid()[1] / 2);
      case 3 -> (int) (shape[1] / 2);
      default -> 0;
    };
  }

  /** The position at (x, y) of a 4-D tensor. */
  int position(int x, int y) {
    if (shape.length != 4) {
      throw new IllegalArgumentException("x and y need a tensor [N, C, H, W] or [N, H, W, C]; '" + name
          + "' has shape " + Arrays.toString(shape));
    }
    long height = grid()[0];
    long width = grid()[1];
    if (y < 0 || y >= height || x < 0 || x >= width) {
      throw new IllegalArgumentException("(x " + x + ", y " + y + ") is outside the " + width + "x" + height
          + " positions of '" + name + "'");
    }
    return (int) (y * width + x);
  }

  long[] batchShape(int n) {
    long[] s = shape.clone();
    s[0] = n;
    return s;
  }
}

package org.netvis.engine.image;

import java.util.List;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.tensor.Tensor;

/**
 * The one place that maps between pixels and the model's normalized input space: resize the
 * shorter side, center-crop, scale to [0, 1], normalize with mean and std (all as torchvision does,
 * in float32), and back.
 */
public final class Pixels {
  private Pixels() {}

  /** Resize (shorter side, Pillow bilinear), center crop, normalize: a [1, 3, crop, crop] tensor. */
  public static Tensor preprocess(RgbImage image, Preprocessing p) {
    RgbImage resized = resizeShorterSide(image, p.resize());
    RgbImage cropped = centerCrop(resized, p.crop());
    return normalize(cropped, p);
  }

  /** torchvision Resize(size): the shorter side becomes size, the longer one int(size * long / short). */
  public static RgbImage resizeShorterSide(RgbImage image, int size) {
    int w = image.width();
    int h = image.height();
    if ((w <= h && w == size) || (h <= w && h == size)) {
      return image;
    }
    int newW;
    int newH;
    if (w < h) {
      newW = size;
      newH = (int) ((long) size * h / w);
    } else {
      newH = size;
      newW = (int) ((long) size * w / h);
    }
    return Resampler.resize(image, newW, newH);
  }

  /** torchvision CenterCrop: offsets round((in - crop) / 2) with Python's round-half-even. */
  public static RgbImage centerCrop(RgbImage image, int size) {
    if (image.width() < size || image.height() < size) {
      throw new IllegalArgumentException(image.width() + "x" + image.height() + " image is smaller than the crop " + size);
    }
    int top = (int) Math.rint((image.height() - size) / 2.0);
    int left = (int) Math.rint((image.width() - size) / 2.0);
    int[] out = new int[size * size * 3];
    for (int y = 0; y < size; y++) {
      System.arraycopy(image.rgb(), ((y + top) * image.width() + left) * 3, out, y * size * 3, size * 3);
    }
    return new RgbImage(size, size, out, image.note());
  }

  /** 8-bit RGB to a normalized [1, 3, H, W] tensor. */
  public static Tensor normalize(RgbImage image, Preprocessing p) {
    int w = image.width();
    int h = image.height();
    float[] out = new float[3 * w * h];
    float scale = (float) p.scale();
    for (int c = 0; c < 3; c++) {
      float mean = p.mean().get(c).floatValue();
      float std = p.std().get(c).floatValue();
      int source = p.imageChannel(c);
      for (int i = 0; i < w * h; i++) {
        float v = image.rgb()[i * 3 + source] / scale;
        out[c * w * h + i] = (v - mean) / std;
      }
    }
    return new Tensor(new long[] {1, 3, h, w}, out);
  }

  /**
   * Item {@code index} of a normalized batch back to [0, 1] RGB, planar [3][H*W]:
   * (x * std + mean) * scale / 255 in image channel order, clamped. NaN becomes 0 so that it can
   * never reach a PNG.
   */
  public static float[][] deprocess(Tensor batch, int index, Preprocessing p) {
    int h = (int) batch.dim(2);
    int w = (int) batch.dim(3);
    float[][] out = new float[3][h * w];
    int base = index * 3 * h * w;
    double toUnit = p.scale() / 255.0;
    for (int c = 0; c < 3; c++) {
      double mean = p.mean().get(c);
      double std = p.std().get(c);
      float[] target = out[p.imageChannel(c)];
      for (int i = 0; i < h * w; i++) {
        double v = (batch.data()[base + c * h * w + i] * std + mean) * toUnit;
        target[i] = Double.isNaN(v) ? 0f : (float) Math.max(0, Math.min(1, v));
      }
    }
    return out;
  }

  /** Quantizes [0, 1] planar RGB to 8-bit the way a PNG stores it (round half up). */
  public static RgbImage toRgb8(float[][] planar, int width, int height) {
    int[] rgb = new int[width * height * 3];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < width * height; i++) {
        float v = planar[c][i];
        rgb[i * 3 + c] = Float.isNaN(v) ? 0 : quantize(Math.max(0f, Math.min(1f, v)));
      }
    }
    return new RgbImage(width, height, rgb, null);
  }

  /**
   * Item {@code index} of a normalized batch as 8-bit RGB: {@link #deprocess} then {@link #toRgb8},
   * to the same values, in one pass without the planar floats between them.
   */
  public static RgbImage toRgb8(Tensor batch, int index, Preprocessing p) {
    int h = (int) batch.dim(2);
    int w = (int) batch.dim(3);
    int[] rgb = new int[w * h * 3];
    float[] data = batch.data();
    int base = index * 3 * h * w;
    double toUnit = p.scale() / 255.0;
    for (int c = 0; c < 3; c++) {
      double mean = p.mean().get(c);
      double std = p.std().get(c);
      int target = p.imageChannel(c);
      for (int i = 0; i < h * w; i++) {
        double v = (data[base + c * h * w + i] * std + mean) * toUnit;
        rgb[i * 3 + target] = Double.isNaN(v) ? 0 : quantize((float) Math.max(0, Math.min(1, v)));
      }
    }
    return new RgbImage(w, h, rgb, null);
  }

  /** A value in [0, 1] to 0..255, round half up: floor(v * 255 + 0.5), a truncation as it is never negative. */
  private static int quantize(float unit) {
    return (int) (unit * 255 + 0.5);
  }

  /**
   * The per-model-channel bounds of valid pixels in normalized space:
   * [(0 - mean) / std, (255 / scale - mean) / std].
   */
  public static float[][] validRange(Preprocessing p) {
    List<Double> mean = p.mean();
    List<Double> std = p.std();
    double top = 255.0 / p.scale();
    float[][] r = new float[2][mean.size()];
    for (int c = 0; c < mean.size(); c++) {
      r[0][c] = (float) ((0 - mean.get(c)) / std.get(c));
      r[1][c] = (float) ((top - mean.get(c)) / std.get(c));
    }
    return r;
  }

  /**
   * Normalized model input (N, C, H, W) as [0, 1] pixels, channels kept in the model's order:
   * (z * std + mean) * scale / 255. Attacks measure their budgets in these units.
   */
  public static Tensor toUnitPixels(Tensor normalized, Preprocessing p) {
    return affine(normalized, p, true, false, null);
  }

  /** [0, 1] pixels in the model's channel order to normalized input: (x * 255 / scale - mean) / std. */
  public static Tensor fromUnitPixels(Tensor pixels, Preprocessing p) {
    return affine(pixels, p, false, false, null);
  }

  /**
   * {@link #fromUnitPixels(Tensor, Preprocessing)} written over {@code reuse} (an earlier result the
   * caller no longer reads, or null) where it has the pixels' shape; returns that tensor then.
   */
  public static Tensor fromUnitPixels(Tensor pixels, Preprocessing p, Tensor reuse) {
    return affine(pixels, p, false, false, reuse);
  }

  /**
   * Planar [0, 1] RGB images (N, 3, H, W in image channel order, as techniques that make images
   * hold them) to normalized model input: channels put in the model's order, then
   * {@link #fromUnitPixels}.
   */
  public static Tensor fromRgbUnitPixels(Tensor rgb, Preprocessing p) {
    return fromRgbUnitPixels(rgb, p, null);
  }

  /**
   * {@link #fromRgbUnitPixels(Tensor, Preprocessing)} written over {@code reuse} (an earlier result the
   * caller no longer reads, or null) where it has the images' shape; returns that tensor then.
   */
  public static Tensor fromRgbUnitPixels(Tensor rgb, Preprocessing p, Tensor reuse) {
    return affine(rgb, p, false, true, reuse);
  }

  /** The gradient with respect to {@link #fromRgbUnitPixels}' input, given the one with respect to its output. */
  public static Tensor rgbUnitPixelGradient(Tensor normalizedGradient, Preprocessing p) {
    return rgbUnitPixelGradient(normalizedGradient, p, null);
  }

  /** {@link #rgbUnitPixelGradient(Tensor, Preprocessing)} written over {@code reuse} where it has the gradient's shape. */
  public static Tensor rgbUnitPixelGradient(Tensor normalizedGradient, Preprocessing p, Tensor reuse) {
    float[] slope = unitPixelSlope(p);
    int c = (int) normalizedGradient.dim(1);
    int plane = (int) (normalizedGradient.dim(2) * normalizedGradient.dim(3));
    float[] g = normalizedGradient.data();
    Tensor result = writable(reuse, normalizedGradient.shape());
    float[] out = result.data();
    for (int b = 0; b < normalizedGradient.dim(0); b++) {
      for (int ch = 0; ch < c; ch++) {
        float k = slope[ch];
        int from = (b * c + ch) * plane;
        int to = (b * c + p.imageChannel(ch)) * plane;
        for (int i = 0; i < plane; i++) {
          out[to + i] = g[from + i] * k;
        }
      }
    }
    return result;
  }

  /** d(normalized) / d(pixel in [0, 1]) per model channel: 255 / (scale * std). */
  public static float[] unitPixelSlope(Preprocessing p) {
    float[] out = new float[p.std().size()];
    for (int c = 0; c < out.length; c++) {
      out[c] = (float) (255.0 / p.scale() / p.std().get(c));
    }
    return out;
  }

  /**
   * Normalized values to [0, 1] pixels ({@code toPixels}) or back, per model channel; from pixels in
   * image channel order where {@code fromImageOrder} (each model channel read from its image channel).
   */
  private static Tensor affine(Tensor t, Preprocessing p, boolean toPixels, boolean fromImageOrder, Tensor reuse) {
    int c = (int) t.dim(1);
    int plane = (int) (t.dim(2) * t.dim(3));
    float[] in = t.data();
    Tensor result = writable(reuse, t.shape());
    float[] out = result.data();
    float unit = (float) (255.0 / p.scale());
    for (int b = 0; b < t.dim(0); b++) {
      for (int ch = 0; ch < c; ch++) {
        float mean = p.mean().get(ch).floatValue();
        float std = p.std().get(ch).floatValue();
        int from = (b * c + (fromImageOrder ? p.imageChannel(ch) : ch)) * plane;
        int to = (b * c + ch) * plane;
        // x * unit - mean is x * unit + (-mean) to the bit.
        if (toPixels) {
          affinePlane(in, from, out, to, plane, std, mean, unit);
        } else {
          affinePlane(in, from, out, to, plane, unit, -mean, std);
        }
      }
    }
    return result;
  }

  /**
   * out[to + i] = (in[from + i] * scale + shift) / divisor for i in [0, length), as one loop that
   * indexes both arrays alike (a plane that moves is copied into place first): HotSpot's C2 vectorizes
   * a loop that reads one float array and writes another only where it can tell the two accesses apart
   * if both are one array, and ran it three times slower with offsets that differ in name only
   * (bench/README.md, thirty-second session).
   */
  private static void affinePlane(float[] in, int from, float[] out, int to, int length, float scale, float shift,
      float divisor) {
    float[] source = in;
    if (from != to) {
      System.arraycopy(in, from, out, to, length);
      source = out;
    }
    for (int i = to; i < to + length; i++) {
      out[i] = (source[i] * scale + shift) / divisor;
    }
  }

  /** {@code reuse} where it has this shape (a result the caller hands back), otherwise a new tensor. */
  private static Tensor writable(Tensor reuse, long[] shape) {
    return reuse != null && java.util.Arrays.equals(reuse.shape(), shape) ? reuse : Tensor.zeros(shape);
  }
}

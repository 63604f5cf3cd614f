package org.netvis.engine.attribution;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.netvis.engine.image.GaussianBlur;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.run.SeededRandom;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;

/**
 * A reference input of the methods that compare an image with one (integrated gradients, GradientSHAP),
 * in the model's normalized space: {@code zeros} (Captum's default), {@code black} pixels, the image
 * blurred ({@code blur}), {@code uniform} pixel noise, or the images of an {@code .npy} file.
 *
 * @param key the parameter's name, for errors
 * @param name what the parameter said
 * @param file the file's array, (C, H, W) or (K, C, H, W); null for the other kinds
 */
public record Baseline(String key, String name, Tensor file, double blurSigma, float[][] validRange) {

  private static final List<String> KINDS = List.of("zeros", "black", "blur", "uniform");

  /** The baseline a parameter names, its file read and checked against the model's input size. */
  public static Baseline of(String key, String name, double blurSigma, AttributionContext ctx) {
    if (!KINDS.contains(name) && !name.endsWith(".npy")) {
      throw new IllegalArgumentException(key + ": '" + name + "' is not zeros, black, blur, uniform or an .npy path");
    }
    Tensor file = name.endsWith(".npy") ? read(key, name, ctx) : null;
    return new Baseline(key, name, file, blurSigma, Pixels.validRange(ctx.model().preprocessing()));
  }

  private static Tensor read(String key, String file, AttributionContext ctx) {
    Tensor t;
    try {
      t = Npy.readTensor(Path.of(file));
    } catch (IOException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
    }
    long[] image = {ctx.engine().channels(), ctx.engine().inputHeight(), ctx.engine().inputWidth()};
    long[] s = t.shape();
    if ((s.length != 3 && s.length != 4) || !Arrays.equals(Arrays.copyOfRange(s, s.length - 3, s.length), image)) {
      throw new IllegalArgumentException(key + ": " + file + " has shape " + Arrays.toString(s) + "; expected "
          + Arrays.toString(image) + " or (N, " + image[0] + ", " + image[1] + ", " + image[2] + ")");
    }
    return t;
  }

  /** The images the file holds; 1 for the other kinds. */
  public int count() {
    return file == null ? 1 : file.rank() == 3 ? 1 : (int) file.dim(0);
  }

  /** Whether the baseline draws from a generator ({@code uniform}). */
  public boolean random() {
    return name.equals("uniform");
  }

  /**
   * Writes the baseline of image {@code image} of {@code inputs} into {@code out} at {@code offset}:
   * the file's image {@code index}, or uniform pixels drawn from {@code random} (one float per value,
   * channel by channel), or the image blurred.
   */
  public void write(Tensor inputs, int image, int index, Random random, float[] out, int offset) {
    int c = (int) inputs.dim(1);
    int h = (int) inputs.dim(2);
    int w = (int) inputs.dim(3);
    int plane = h * w;
    int item = c * plane;
    switch (name) {
      case "zeros" -> Arrays.fill(out, offset, offset + item, 0f);
      case "black" -> {
        for (int ch = 0; ch < c; ch++) {
          Arrays.fill(out, offset + ch * plane, offset + (ch + 1) * plane, validRange[0][ch]);
        }
      }
      case "blur" -> System.arraycopy(blurred(inputs, image), 0, out, offset, item);
      case "uniform" -> {
        for (int ch = 0; ch < c; ch++) {
          float lo = validRange[0][ch];
          float span = validRange[1][ch] - lo;
          for (int k = 0; k < plane; k++) {
            out[offset + ch * plane + k] = lo + random.nextFloat() * span;
          }
        }
      }
      default -> System.arraycopy(file.data(), index * item, out, offset, item);
    }
  }

  /** Whether the baseline is the image blurred ({@code blur}). */
  public boolean blur() {
    return name.equals("blur");
  }

  /** Image {@code image} of {@code inputs} blurred with this baseline's sigma, (C, H, W) as one new array. */
  public float[] blurred(Tensor inputs, int image) {
    int item = inputs.itemSize();
    float[] source = Arrays.copyOfRange(inputs.data(), image * item, (image + 1) * item);
    return GaussianBlur.blur(source, (int) inputs.dim(1), (int) inputs.dim(2), (int) inputs.dim(3), blurSigma);
  }

  /**
   * The baseline of every image, (N, C, H, W) in the normalized space: a file's one image for all, or
   * its image i for image i where it holds one per image; uniform noise from each image's own seed.
   */
  public Tensor ofImages(Tensor inputs, AttributionContext ctx) {
    int n = (int) inputs.dim(0);
    int item = inputs.itemSize();
    boolean perImage = file != null && file.rank() == 4 && file.dim(0) == n && file.itemSize() == item;
    if (file != null && !perImage && file.size() != item) {
      long[] s = inputs.shape();
      throw new IllegalArgumentException(key + ": " + name + " has shape " + Arrays.toString(file.shape())
          + "; expected (" + s[1] + ", " + s[2] + ", " + s[3] + ") or (" + n + ", " + s[1] + ", " + s[2] + ", " + s[3] + ")");
    }
    float[] out = new float[inputs.size()];
    for (int i = 0; i < n; i++) {
      // Per image from the step's seed: the same image gets the same baseline in any batch.
      Random random = random() ? SeededRandom.forItem(ctx.seed(), ctx.itemIndex(i)) : null;
      write(inputs, i, perImage ? i : 0, random, out, i * item);
    }
    return new Tensor(inputs.shape(), out);
  }
}

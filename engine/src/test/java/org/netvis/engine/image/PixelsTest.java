package org.netvis.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.netvis.engine.model.Preprocessing;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;
import org.netvis.engine.testing.SharedData;

/** Preprocessing against torchvision's Resize(224) + CenterCrop(224) + Normalize on the shared photos. */
class PixelsTest {

  @Test
  void preprocessingMatchesTorchvision() throws Exception {
    Tensor reference = Npy.readTensor(SharedData.reference().resolve("inputs.npy"));
    List<String> files = Files.readAllLines(SharedData.reference().resolve("images.txt")).stream()
        .filter(s -> !s.isBlank()).map(s -> s.split("\\s+")[0]).toList();
    float[] std = {0.229f, 0.224f, 0.225f};
    for (int i = 0; i < files.size(); i++) {
      Path f = SharedData.root().resolve("images").resolve(files.get(i));
      Tensor t = Pixels.preprocess(ImageFiles.read(f), Preprocessing.IMAGENET);
      assertArrayEquals(new long[] {1, 3, 224, 224}, t.shape());
      Tensor ref = reference.slice(i, i + 1);
      double maxPixelDiff = 0;
      double sumDiff = 0;
      int differing = 0;
      int plane = 224 * 224;
      for (int k = 0; k < t.size(); k++) {
        double d = Math.abs(t.data()[k] - ref.data()[k]) * std[k / plane] * 255;
        maxPixelDiff = Math.max(maxPixelDiff, d);
        sumDiff += d;
        if (d > 0.01) {
          differing++;
        }
      }
      double meanDiff = sumDiff / t.size();
      System.out.printf("%-24s max difference %.3f pixel levels, mean %.3f, %d of %d values differ%n", files.get(i),
          maxPixelDiff, meanDiff, differing, t.size());
      // PNG is lossless and JPEG goes through libjpeg's own YCbCr arithmetic; the resampling is
      // Pillow's fixed-point filter: the same 8-bit values, so only float rounding remains.
      assertTrue(maxPixelDiff < 0.01, files.get(i) + ": " + maxPixelDiff + " levels, mean " + meanDiff);
    }
  }

  @Test
  void resizeKeepsTheAspectRatioAsTorchvisionDoes() {
    RgbImage image = new RgbImage(451, 300, new int[451 * 300 * 3], null);
    RgbImage r = Pixels.resizeShorterSide(image, 224);
    assertEquals(336, r.width());
    assertEquals(224, r.height());
  }

  @Test
  void centerCropRoundsHalfToEvenLikePython() {
    int[] rgb = new int[5 * 1 * 3];
    for (int i = 0; i < 5; i++) {
      rgb[i * 3] = i;
    }
    // (5 - 2) / 2 = 1.5 rounds to 2 in Python.
    RgbImage crop = Pixels.centerCrop(new RgbImage(5, 1, rgb, null), 1);
    assertEquals(1, crop.width());
    RgbImage wide = Pixels.centerCrop(new RgbImage(5, 5, new int[75], null), 2);
    assertEquals(2, wide.width());
  }

  @Test
  void deprocessInvertsNormalizeAndClamps() {
    RgbImage image = new RgbImage(2, 1, new int[] {0, 128, 255, 10, 20, 30}, null);
    Tensor t = Pixels.normalize(image, Preprocessing.IMAGENET);
    float[][] back = Pixels.deprocess(t, 0, Preprocessing.IMAGENET);
    RgbImage again = Pixels.toRgb8(back, 2, 1);
    assertArrayEquals(image.rgb(), again.rgb());
    t.data()[0] = Float.NaN;
    t.data()[1] = 100f;
    float[][] clamped = Pixels.deprocess(t, 0, Preprocessing.IMAGENET);
    assertEquals(0f, clamped[0][0]);
    assertEquals(1f, clamped[0][1]);
  }

  @Test
  void oneBatchItemQuantizedInOnePassAsDeprocessThenToRgb8() {
    Preprocessing caffe = new Preprocessing(2, 2, "BGR", 1.0, List.of(103.939, 116.779, 123.68), List.of(1.0, 1.0, 1.0));
    java.util.Random r = new java.util.Random(11);
    int h = 5;
    int w = 7;
    float[] data = new float[2 * 3 * h * w];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) (r.nextGaussian() * 3);
    }
    data[3] = Float.NaN;
    data[5] = Float.POSITIVE_INFINITY;
    data[3 * h * w + 8] = Float.NEGATIVE_INFINITY;
    data[3 * h * w] = 0f;
    Tensor batch = new Tensor(new long[] {2, 3, h, w}, data);
    for (Preprocessing p : List.of(Preprocessing.IMAGENET, caffe)) {
      for (int item = 0; item < 2; item++) {
        RgbImage fused = Pixels.toRgb8(batch, item, p);
        assertEquals(w, fused.width());
        assertEquals(h, fused.height());
        assertArrayEquals(Pixels.toRgb8(Pixels.deprocess(batch, item, p), w, h).rgb(), fused.rgb(), p.color() + " item " + item);
      }
    }
    // By hand: 0 in normalized space is the mean pixel, rounded half up (123.675 -> 124 for ImageNet's
    // red; Caffe's blue mean, 103.939, in image channel 2 of a BGR model's channel 0).
    assertEquals(124, Pixels.toRgb8(batch, 1, Preprocessing.IMAGENET).rgb()[0]);
    assertEquals(104, Pixels.toRgb8(batch, 1, caffe).rgb()[2]);
    assertEquals(0, Pixels.toRgb8(batch, 0, Preprocessing.IMAGENET).rgb()[3 * 3], "NaN becomes 0");
    assertEquals(255, Pixels.toRgb8(batch, 0, Preprocessing.IMAGENET).rgb()[3 * 5], "infinity becomes 255");
  }

  /** Caffe-era models: BGR channel order, 0-255 values minus the mean pixel, no scaling; and back. */
  @Test
  void bgrPreprocessingWithAMeanPixelAndItsInverse() {
    Preprocessing caffe = new Preprocessing(2, 2, "BGR", 1.0, List.of(103.939, 116.779, 123.68), List.of(1.0, 1.0, 1.0));
    int[] rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
    Tensor t = Pixels.normalize(new RgbImage(2, 2, rgb, null), caffe);
    // Model channel 0 is blue, channel 2 red.
    assertEquals(0 - 103.939f, t.data()[0], 1e-4);
    assertEquals(255 - 123.68f, t.data()[2 * 4], 1e-4);
    assertEquals(255 - 103.939f, t.data()[2], 1e-4);
    assertEquals(30 - 103.939f, t.data()[3], 1e-4);
    float[][] back = Pixels.deprocess(t, 0, caffe);
    for (int i = 0; i < 4; i++) {
      for (int c = 0; c < 3; c++) {
        assertEquals(rgb[i * 3 + c] / 255f, back[c][i], 1e-6, "pixel " + i + " channel " + c);
      }
    }
    float[][] range = Pixels.validRange(caffe);
    assertArrayEquals(new float[] {-103.939f, -116.779f, -123.68f}, range[0], 1e-4f);
    assertArrayEquals(new float[] {255 - 103.939f, 255 - 116.779f, 255 - 123.68f}, range[1], 1e-4f);
  }

  /**
   * [0, 1] RGB images to model input by the definition, (x[image channel] * 255 / scale - mean) / std
   * per model channel, and the gradient back as its adjoint; both written over a reused tensor with
   * the same floats.
   */
  @Test
  void rgbUnitPixelsToModelInputAndTheGradientBack() {
    Preprocessing caffe = new Preprocessing(2, 2, "BGR", 1.0, List.of(103.939, 116.779, 123.68), List.of(1.0, 2.0, 4.0));
    for (Preprocessing p : List.of(Preprocessing.IMAGENET, caffe)) {
      java.util.Random r = new java.util.Random(5);
      long[] shape = {2, 3, 2, 3};
      float[] x = new float[36];
      float[] g = new float[36];
      for (int i = 0; i < 36; i++) {
        x[i] = r.nextFloat();
        g[i] = (float) r.nextGaussian();
      }
      Tensor input = Pixels.fromRgbUnitPixels(new Tensor(shape, x), p);
      Tensor zero = Pixels.fromRgbUnitPixels(new Tensor(shape, new float[36]), p);
      double unit = 255.0 / p.scale();
      double forward = 0;
      for (int b = 0; b < 2; b++) {
        for (int ch = 0; ch < 3; ch++) {
          for (int k = 0; k < 6; k++) {
            int at = (b * 3 + ch) * 6 + k;
            double expected = (x[(b * 3 + p.imageChannel(ch)) * 6 + k] * unit - p.mean().get(ch)) / p.std().get(ch);
            assertEquals(expected, input.data()[at], 1e-4 * Math.max(1, Math.abs(expected)), p.color() + " at " + at);
            forward += (double) g[at] * (input.data()[at] - zero.data()[at]);
          }
        }
      }
      Tensor back = Pixels.rgbUnitPixelGradient(new Tensor(shape, g), p);
      double adjoint = 0;
      for (int i = 0; i < 36; i++) {
        adjoint += (double) back.data()[i] * x[i];
      }
      assertEquals(forward, adjoint, 1e-3 * Math.abs(forward), p.color() + ": <g, L x> = <L' g, x>");
      Tensor reused = new Tensor(shape, new float[36]);
      assertTrue(Pixels.fromRgbUnitPixels(new Tensor(shape, x), p, reused) == reused);
      assertArrayEquals(input.data(), reused.data());
      assertTrue(Pixels.rgbUnitPixelGradient(new Tensor(shape, g), p, reused) == reused);
      assertArrayEquals(back.data(), reused.data());
      assertTrue(Pixels.fromRgbUnitPixels(new Tensor(shape, x), p, new Tensor(new long[] {1, 3, 2, 3}, new float[18]))
          != reused, "a tensor of another shape is left alone");
    }
  }
}

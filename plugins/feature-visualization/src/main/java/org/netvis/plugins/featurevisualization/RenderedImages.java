package org.netvis.plugins.featurevisualization;

import java.io.IOException;
import java.nio.file.Path;
import org.jtransforms.fft.FloatFFT_2D;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.image.PngImages;
import org.netvis.engine.image.RgbImage;
import org.netvis.engine.tensor.Npy;
import org.netvis.engine.tensor.Tensor;

/** Writing and measuring the [0, 1] RGB images ([3, size, size] each) that the render loop makes. */
final class RenderedImages {
  private RenderedImages() {}

  static RgbImage rgb(float[] image, int size) {
    return rgb(image, size, size);
  }

  static RgbImage rgb(float[] image, int height, int width) {
    int plane = height * width;
    float[][] planar = new float[3][plane];
    for (int c = 0; c < 3; c++) {
      System.arraycopy(image, c * plane, planar[c], 0, plane);
    }
    return Pixels.toRgb8(planar, width, height);
  }

  static void png(Path file, float[] image, int size) throws IOException {
    PngImages.write(file, rgb(image, size));
  }

  /** All images as one float32 array (N, 3, size, size) of [0, 1] RGB. */
  static void npy(Path file, float[][] images, int size) throws IOException {
    int item = 3 * size * size;
    float[] all = new float[images.length * item];
    for (int b = 0; b < images.length; b++) {
      System.arraycopy(images[b], 0, all, b * item, item);
    }
    Npy.write(file, new Tensor(new long[] {images.length, 3, size, size}, all));
  }

  /**
   * The energy at radial frequencies above half the Nyquist frequency (|f| > 0.25 cycles per
   * pixel), as the mean square of the image's high-pass part in [0, 1] pixel units, averaged over the
   * channels (Parseval: sum over those frequencies of |F|^2 / (H W)^2): how much fine, noisy detail
   * the image holds.
   */
  static double highFrequencyEnergy(float[] image, int size) {
    int plane = size * size;
    FloatFFT_2D fft = new FloatFFT_2D(size, size);
    double high = 0;
    for (int c = 0; c < 3; c++) {
      float[] a = new float[2 * plane];
      for (int i = 0; i < plane; i++) {
        a[2 * i] = image[c * plane + i];
      }
      fft.complexForward(a);
      for (int y = 0; y < size; y++) {
        double fy = (y <= size / 2 ? y : y - size) / (double) size;
        for (int x = 0; x < size; x++) {
          if (x == 0 && y == 0) {
            continue;
          }
          double fx = (x <= size / 2 ? x : x - size) / (double) size;
          int k = 2 * (y * size + x);
          double e = (double) a[k] * a[k] + (double) a[k + 1] * a[k + 1];
          if (Math.sqrt(fx * fx + fy * fy) > 0.25) {
            high += e;
          }
        }
      }
    }
    return high / ((double) plane * plane) / 3;
  }
}

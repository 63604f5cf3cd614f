package org.netvis.engine.attribution;

import org.netvis.engine.tensor.Tensor;

/**
 * How a map at a layer's resolution, (N, C, h, w), is brought to the input size: PyTorch's
 * F.interpolate, bilinear with align_corners=False (half-pixel centres, sources below 0 clamped to
 * 0) or nearest (floor(dst * in / out)), in float arithmetic; or kept as it is.
 */
public enum Interpolation {
  BILINEAR, NEAREST, NONE;

  /** The maps at outH x outW ({@link #NONE}: unchanged). */
  public Tensor apply(Tensor maps, int outH, int outW) {
    return switch (this) {
      case BILINEAR -> bilinear(maps, outH, outW);
      case NEAREST -> nearest(maps, outH, outW);
      case NONE -> maps;
    };
  }

  private static Tensor bilinear(Tensor t, int outH, int outW) {
    int n = (int) t.dim(0);
    int c = (int) t.dim(1);
    int inH = (int) t.dim(2);
    int inW = (int) t.dim(3);
    float scaleH = (float) inH / outH;
    float scaleW = (float) inW / outW;
    float[] d = t.data();
    float[] out = new float[n * c * outH * outW];
    for (int plane = 0; plane < n * c; plane++) {
      int src = plane * inH * inW;
      int dst = plane * outH * outW;
      for (int y = 0; y < outH; y++) {
        float sy = Math.max(0f, scaleH * (y + 0.5f) - 0.5f);
        int y0 = (int) sy;
        int y1 = y0 + (y0 < inH - 1 ? 1 : 0);
        float ly1 = sy - y0;
        float ly0 = 1f - ly1;
        for (int x = 0; x < outW; x++) {
          float sx = Math.max(0f, scaleW * (x + 0.5f) - 0.5f);
          int x0 = (int) sx;
          int x1 = x0 + (x0 < inW - 1 ? 1 : 0);
          float lx1 = sx - x0;
          float lx0 = 1f - lx1;
          out[dst + y * outW + x] = ly0 * (lx0 * d[src + y0 * inW + x0] + lx1 * d[src + y0 * inW + x1])
              + ly1 * (lx0 * d[src + y1 * inW + x0] + lx1 * d[src + y1 * inW + x1]);
        }
      }
    }
    return new Tensor(new long[] {n, c, outH, outW}, out);
  }

  private static Tensor nearest(Tensor t, int outH, int outW) {
    int n = (int) t.dim(0);
    int c = (int) t.dim(1);
    int inH = (int) t.dim(2);
    int inW = (int) t.dim(3);
    float scaleH = (float) inH / outH;
    float scaleW = (float) inW / outW;
    float[] out = new float[n * c * outH * outW];
    for (int plane = 0; plane < n * c; plane++) {
      for (int y = 0; y < outH; y++) {
        int sy = Math.min((int) Math.floor(y * scaleH), inH - 1);
        for (int x = 0; x < outW; x++) {
          int sx = Math.min((int) Math.floor(x * scaleW), inW - 1);
          out[(plane * outH + y) * outW + x] = t.data()[(plane * inH + sy) * inW + sx];
        }
      }
    }
    return new Tensor(new long[] {n, c, outH, outW}, out);
  }
}

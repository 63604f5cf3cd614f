package org.netvis.plugins.layerattribution;

/**
 * How layer feature ablation groups a layer's units into features, each ablated as one: every channel
 * (Captum's per-channel {@code layer_mask}), every position (a pixel of the feature map, or a token,
 * across all its channels), or every unit alone (Captum's default without a mask).
 */
enum LayerFeatures {
  CHANNELS, POSITIONS, UNITS;

  /**
   * The feature of each unit of one image's activations of shape {@code item} (no batch axis):
   * (C, h, w) with its channels first, or, {@code channelsLast}, tokens (T, D) or a map (h, w, C).
   */
  int[] of(long[] item, boolean channelsLast) {
    int size = 1;
    for (long d : item) {
      size *= (int) d;
    }
    int channels = (int) (channelsLast ? item[item.length - 1] : item[0]);
    int positions = size / channels;
    int[] feature = new int[size];
    for (int u = 0; u < size; u++) {
      int channel = channelsLast ? u % channels : u / positions;
      int position = channelsLast ? u / channels : u % positions;
      feature[u] = switch (this) {
        case CHANNELS -> channel;
        case POSITIONS -> position;
        case UNITS -> u;
      };
    }
    return feature;
  }
}

package org.netvis.engine.spi;

import org.netvis.engine.tensor.Tensor;

/**
 * One attribution method bound to a model and its parameters: Captum's
 * {@code Method(model).attribute(inputs, target)}. Implementations split large batches themselves,
 * so that memory stays bounded, and draw any randomness per image (by its position in
 * {@code inputs}) from the seed they were created with, so that batching never changes a result.
 */
public interface Attribution {

  /**
   * The attribution of every input element toward each image's target class: (N, C, H, W) in the
   * model's normalized input space, as the inputs (Grad-CAM: (N, 1, H, W), one map per image; a layer
   * method: each unit of its layer, (N, C', h, w), or their channel sum upsampled to (N, 1, H, W)).
   */
  Tensor attribute(Tensor inputs, long[] targets);
}

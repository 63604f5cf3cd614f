package org.netvis.engine.attribution;

import org.netvis.engine.tensor.Tensor;

/** A value per image of a batch and its targets, such as the target's score or a hidden unit's value. */
public interface ImageValues {
  double[] at(Tensor images, long[] targets);
}

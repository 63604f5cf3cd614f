package org.netvis.engine.runtime;

import org.netvis.engine.tensor.Tensor;

/** The logits of a batch and the gradient of sum(cotangent * logits) with respect to the input. */
public record VjpResult(Tensor logits, Tensor inputGradient) {}

#!/usr/bin/env python3
"""PyTorch's fake quantization through networks written in the QOperator format, for IntegerOperatorsTest.

Usage: qoperator_reference.py DIR [cnn|sequence]

DIR holds x.npy (float32 (N, 3, H, W)), ct.npy (the cotangent of the scores), the float values of the
integer weights and biases as the file defines them (w1, b1, w2, b2, wf, bf: (q - zero) * scale) and
q.npy: the scale and zero point of every quantized activation, for "cnn" (the default) in this order:
input, conv1, conv2, add, sigmoid, mul, concat, pool, scores. The network, as the test writes it:

  x -> QuantizeLinear -> QLinearConv 3x3 pad 1 (w1, b1; output zero point 0: a fused ReLU)
    -> MaxPool 2x2 on uint8 -> p
  p -> QLinearConv 3x3 pad 1 (w2, b2) -> c2;  r = QLinearAdd(p, c2)
  m = QLinearMul(r, QLinearSigmoid(r))  (SiLU);  QLinearConcat([r, m], channels)
    -> QLinearGlobalAveragePool -> Flatten on uint8 -> QGemm (wf transposed, bf) -> DequantizeLinear

The "sequence" network (weights w.npy, where.npy the Where condition; quantizers input, pool, leaky,
matmul, softmax, where, mean):

  x -> QuantizeLinear -> QLinearAveragePool 2x2 -> QLinearLeakyRelu (alpha 0.1)
    -> Transpose to channels-last and Reshape to (N, 16, 3) on uint8 -> QLinearMatMul (w)
    -> QLinearSoftmax over the last axis -> QLinearWhere(where, softmax, matmul)
    -> QLinearReduceMean over the 16 positions -> Slice of the first 5 on uint8 -> DequantizeLinear

Each integer operator is, by its definition, dequantize -> float operator -> quantize, so here every
quantized tensor is a fake_quantize_per_tensor_affine over [0, 255] of the float operator's output;
its backward passes the gradient where the value was not clamped. Writes grad_f32.npy and
grad_f64.npy: d/dx sum(ct * scores) by autograd in float32 and float64, and scores_f64.npy.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from autograd_reference import save_gradients


def cnn(x, t, fq):
    h = fq(x, "input")
    h = fq(F.conv2d(h, t("w1"), t("b1"), padding=1), "conv1")
    p = F.max_pool2d(h, 2)
    c2 = fq(F.conv2d(p, t("w2"), t("b2"), padding=1), "conv2")
    r = fq(p + c2, "add")
    m = fq(r * fq(torch.sigmoid(r), "sigmoid"), "mul")
    h = fq(torch.cat([r, m], dim=1), "concat")
    h = fq(h.mean(dim=(2, 3)), "pool")
    return fq(h @ t("wf").T + t("bf"), "scores")


def sequence(x, t, fq):
    h = fq(x, "input")
    h = fq(F.avg_pool2d(h, 2), "pool")
    h = fq(F.leaky_relu(h, 0.1), "leaky")
    h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1, h.shape[1])
    mm = fq(h @ t("w"), "matmul")
    sm = fq(torch.softmax(mm, dim=-1), "softmax")
    h = fq(torch.where(t("where") != 0, sm, mm), "where")
    return fq(h.mean(dim=1), "mean")[:, :5]


NETWORKS = {
    "cnn": (cnn, ["input", "conv1", "conv2", "add", "sigmoid", "mul", "concat", "pool", "scores"]),
    "sequence": (sequence, ["input", "pool", "leaky", "matmul", "softmax", "where", "mean"]),
}


def main():
    d = sys.argv[1]
    network, names = NETWORKS[sys.argv[2] if len(sys.argv) > 2 else "cnn"]
    q = np.load(os.path.join(d, "q.npy")).astype(np.float64).reshape(-1, 2)
    params = {n: (float(np.float32(s)), int(z)) for n, (s, z) in zip(names, q)}
    fq = lambda v, name: torch.fake_quantize_per_tensor_affine(v, params[name][0], params[name][1], 0, 255)
    save_gradients(d, lambda x, t: network(x, t, fq))


if __name__ == "__main__":
    main()

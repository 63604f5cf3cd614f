#!/usr/bin/env python3
"""PyTorch's fake quantization through a small quantized CNN, for QuantizationReferenceTest.

Usage: quantization_reference.py DIR

DIR holds x.npy (the input, float32 (N, 3, H, W)), ct.npy (the cotangent of the scores), w1.npy (the
first convolution's float weights), w2.npy (the second's, already dequantized from int8) and the
quantizers' parameters: q1_scale.npy and q1_zero.npy (per channel of the input), q2.npy (scale and
zero point of the ReLU's output). The network, as the test writes it in ONNX's QDQ format:

  fake_quant_per_channel(x) -> conv 3x3 pad 1 (w1) -> relu -> fake_quant(relu) -> conv 3x3 (w2)
  -> global average pool -> scores

with uint8 ranges [0, 255]. This writes grad_f32.npy and grad_f64.npy: d/dx sum(ct * scores) by
autograd in float32 and float64, through PyTorch's own fake_quantize_per_channel_affine and
fake_quantize_per_tensor_affine, whose backward passes the gradient where the value was not clamped.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def main():
    d = sys.argv[1]
    torch.set_num_threads(1)
    load = lambda name: np.load(os.path.join(d, name))
    q1_scale = torch.tensor(load("q1_scale.npy"), dtype=torch.float32)
    q1_zero = torch.tensor(load("q1_zero.npy"), dtype=torch.int32)
    q2_scale, q2_zero = (float(v) for v in load("q2.npy"))
    for dtype, suffix in ((torch.float32, "f32"), (torch.float64, "f64")):
        x = torch.tensor(load("x.npy"), dtype=dtype, requires_grad=True)
        w1 = torch.tensor(load("w1.npy"), dtype=dtype)
        w2 = torch.tensor(load("w2.npy"), dtype=dtype)
        h = torch.fake_quantize_per_channel_affine(x, q1_scale, q1_zero, 1, 0, 255)
        h = F.relu(F.conv2d(h, w1, padding=1))
        h = torch.fake_quantize_per_tensor_affine(h, q2_scale, int(q2_zero), 0, 255)
        scores = F.conv2d(h, w2).mean(dim=(2, 3))
        (grad,) = torch.autograd.grad(scores, x, torch.tensor(load("ct.npy"), dtype=dtype))
        np.save(os.path.join(d, f"grad_{suffix}.npy"), grad.detach().numpy())


if __name__ == "__main__":
    main()

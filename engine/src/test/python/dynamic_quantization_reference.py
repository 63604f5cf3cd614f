#!/usr/bin/env python3
"""PyTorch's fake quantization through a dynamically quantized network, for DynamicQuantizationTest.

Usage: dynamic_quantization_reference.py DIR [conv_matmul | attention]

DIR holds x.npy (float32 (N, 3, 8, 8)), ct.npy (the cotangent of the scores), and the weights as the
file defines them: wc.npy (the convolution's int8 levels times its scale), bc.npy, w2.npy (the
MatMul's int8 levels times their per-column scales), b2.npy. The network, as the test writes it in
the form ONNX Runtime's quantize_dynamic writes:

  x -> DynamicQuantizeLinear -> ConvInteger 3x3 pad 1 -> Cast, Mul by the scales, Add bc -> Relu
    -> Reshape to (N, 16, 16) -> DynamicQuantizeLinear -> MatMulInteger -> Cast, Mul by the scales,
    Add b2 -> ReduceMean over the 16 rows -> scores (N, 6)

The attention network (quantize_dynamic's form of an optimized transformer's Attention): x reshaped
to (N, 6, 8) -> DynamicQuantizeLinear -> QAttention with 2 heads, its weights wqkv.npy ((8, 24) int8
levels less their per-column zero points, times the per-column scales) and bias bqkv.npy -> scores
(N, 48); QAttention is the float com.microsoft Attention of the dequantized input and weights
(fused_reference.attention).

DynamicQuantizeLinear's definition: the range of the values widened to hold 0, scale = range / 255,
zero point = round(-min / scale) clamped to [0, 255], uint8 levels. Here each image's scale and zero
point come from its own values (as for a batch of one) and are constants to autograd; the
quantization is PyTorch's fake_quantize_per_tensor_affine, whose backward passes the gradient where
the value was not clamped. Writes grad_f32.npy, grad_f64.npy and scores_f64.npy.
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from autograd_reference import save_gradients
from fused_reference import attention


def dynamic(v):
    """Each item of the batch fake-quantized with its own DynamicQuantizeLinear parameters."""
    out = []
    for item in v:
        low = min(0.0, float(item.detach().min()))
        high = max(0.0, float(item.detach().max()))
        scale = float(np.float32((high - low) / 255))
        zero = int(np.clip(np.round(-low / scale), 0, 255))
        out.append(torch.fake_quantize_per_tensor_affine(item, scale, zero, 0, 255))
    return torch.stack(out)


def conv_matmul(x, t):
    h = F.relu(F.conv2d(dynamic(x), t("wc"), padding=1) + t("bc").reshape(1, -1, 1, 1))
    h = dynamic(h.reshape(h.shape[0], 16, 16)) @ t("w2") + t("b2")
    return h.mean(dim=1)


def quantized_attention(x, t):
    s = dynamic(x.reshape(x.shape[0], 6, 8))
    return attention(s, t("wqkv"), t("bqkv"), 2, [8, 8, 8], None, None).reshape(x.shape[0], -1)


def main():
    network = sys.argv[2] if len(sys.argv) > 2 else "conv_matmul"
    save_gradients(sys.argv[1], {"conv_matmul": conv_matmul, "attention": quantized_attention}[network])


if __name__ == "__main__":
    main()

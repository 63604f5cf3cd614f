#!/usr/bin/env python3
"""PyTorch autograd through ONNX's Attention and RMSNormalization (opset 23), for AttentionReferenceTest.

Usage: attention_reference.py DIR

DIR/cases.txt holds one case a line: `ID KIND [NAME=VALUE ...]`. For each case DIR holds ID_x.npy (the
model input, float32 (N, C, H, W)), ID_ct.npy (the cotangent of the flattened output) and the case's
weights (ID_wk.npy, ID_wv.npy, ID_mask.npy, ID_scale.npy). This writes ID_f32.npy and ID_f64.npy:
d/dx sum(ct * f(x)) by autograd in float32 and float64, f written here from the operators' definitions
in the ONNX specification (torch 1.13 has neither scaled_dot_product_attention nor RMSNorm):

  Attention: 3-D inputs (batch, sequence, heads * size) are split into heads; key/value heads are
  repeated for the query heads that share them ([h0, h0, h1, h1, ...]); scores Q K^T * scale
  (default 1 / sqrt(head size)), then softcap * tanh(scores / softcap) when softcap > 0, then the bias:
  a float mask added, a boolean one as 0 where True and -inf where False, and with is_causal -inf where
  the key index exceeds the query index; softmax over the keys; times V; heads joined back for 3-D.
  RMSNormalization: x / sqrt(mean(x^2 over the axes from `axis` on) + epsilon) * scale.

The model around the operator is the test's: Q = x (3-D: x reshaped to (N, H, W) with C = 1), K and V
= x @ Wk and x @ Wv, where x first keeps only its first `kv_channels` channels (4-D) and its first
`kv_length` positions, when given.
"""
import math
import sys

import torch
from reference_cases import save_gradients


def attention(q, k, v, p, mask):
    rank = q.dim()
    if rank == 3:
        hq, hkv = int(p["q_heads"]), int(p["kv_heads"])
        q = q.reshape(q.shape[0], q.shape[1], hq, -1).transpose(1, 2)
        k = k.reshape(k.shape[0], k.shape[1], hkv, -1).transpose(1, 2)
        v = v.reshape(v.shape[0], v.shape[1], hkv, -1).transpose(1, 2)
    hq, hkv = q.shape[1], k.shape[1]
    if hq != hkv:
        k = k.repeat_interleave(hq // hkv, dim=1)
        v = v.repeat_interleave(hq // hkv, dim=1)
    scale = p.get("scale", 1 / math.sqrt(q.shape[-1]))
    scores = q @ k.transpose(-1, -2) * scale
    softcap = p.get("softcap", 0.0)
    if softcap > 0:
        scores = softcap * torch.tanh(scores / softcap)
    s, t = scores.shape[-2], scores.shape[-1]
    bias = torch.zeros(s, t, dtype=q.dtype)
    if mask is not None:
        if p.get("mask") == "bool":
            bias = bias + torch.where(mask != 0, torch.zeros((), dtype=q.dtype),
                                      torch.full((), -math.inf, dtype=q.dtype))
        else:
            bias = bias + mask
    if p.get("causal", 0):
        bias = bias + torch.triu(torch.full((s, t), -math.inf, dtype=q.dtype), diagonal=1)
    y = torch.softmax(scores + bias, dim=-1) @ v
    if rank == 3:
        y = y.transpose(1, 2).reshape(y.shape[0], y.shape[2], -1)
    return y


def rms_norm(x, p, scale):
    axis = int(p.get("axis", -1)) % x.dim()
    dims = tuple(range(axis, x.dim()))
    return x / torch.sqrt((x * x).mean(dim=dims, keepdim=True) + p["epsilon"]) * scale


def model(kind, x, p, weights):
    if kind == "rms_norm":
        return rms_norm(x, p, weights["scale"])
    q = x.reshape(x.shape[0], x.shape[2], x.shape[3]) if p["layout"] == 3 else x
    source = q
    if "kv_channels" in p:
        source = source[:, : int(p["kv_channels"])]
    if "kv_length" in p:
        source = source[:, : int(p["kv_length"])] if p["layout"] == 3 else source[:, :, : int(p["kv_length"])]
    return attention(q, source @ weights["wk"], source @ weights["wv"], p, weights.get("mask"))


def main():
    save_gradients(sys.argv[1], lambda kind, x, weights, p: model(kind, x, p, weights))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch autograd through ONNX Runtime's fused com.microsoft operators, for FusedOperatorsTest.

Usage: fused_reference.py DIR

DIR/cases.txt holds one case a line: `ID KIND [NAME=VALUE ...]`. For each case DIR holds ID_x.npy (the
model input, float32 (N, C, H, W)), ID_ct.npy (the cotangent of the flattened output) and the case's
weights as ID_NAME.npy. This writes ID_f32.npy and ID_f64.npy: d/dx sum(ct * f(x)) by autograd in float32
and float64, f written here from the operators' definitions in ONNX Runtime's docs/ContribOperators.md:

  Gelu: x / 2 * (1 + erf(x / sqrt 2)); BiasGelu(a, b) = Gelu(a + b); FastGelu(x, bias) the tanh form
  x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) of x + bias; QuickGelu x * sigmoid(alpha x).
  FusedConv: activation(conv(X, W, B) + Z); FusedGemm: activation(alpha A' B' + beta C); FusedMatMul:
  alpha * A' @ B', ' transposing the last two axes where transA / transB say, and with transBatchA /
  transBatchB reading a rank-r tensor's axes as [1, ..., r-2, 0, r-1] (with transA: [1, ..., r-2, r-1, 0]),
  as ONNX Runtime's shape inference for FusedMatMul (contrib_defs.cc) states.
  SkipLayerNormalization: s = input + skip + bias, layer norm of s over the last axis with gamma, beta
  and epsilon; its fourth output is s.
  Attention: Q, K, V = input @ weights + bias split by qkv_hidden_sizes (else thirds), num_heads heads,
  softmax(Q K^T * scale + attention_bias) V (scale 1 / sqrt(head size) by default), heads joined.

The networks around them are the test's; each KIND below follows its Java case.
"""
import math
import sys

import torch
import torch.nn.functional as F
from reference_cases import save_gradients


def gelu(x):
    return x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))


def fast_gelu(x):
    return x * 0.5 * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def quick_gelu(x, alpha):
    return x * torch.sigmoid(alpha * x)


def layer_norm(s, gamma, beta, epsilon):
    mean = s.mean(dim=-1, keepdim=True)
    var = ((s - mean) ** 2).mean(dim=-1, keepdim=True)
    y = (s - mean) / torch.sqrt(var + epsilon) * gamma
    return y if beta is None else y + beta


def attention(x, weights, bias, heads, sizes, scale, attention_bias):
    qkv = x @ weights
    if bias is not None:
        qkv = qkv + bias
    dq, dk, dv = sizes
    q, k, v = qkv[..., :dq], qkv[..., dq:dq + dk], qkv[..., dq + dk:dq + dk + dv]
    b, s = x.shape[0], x.shape[1]
    q = q.reshape(b, s, heads, -1).transpose(1, 2)
    k = k.reshape(b, s, heads, -1).transpose(1, 2)
    v = v.reshape(b, s, heads, -1).transpose(1, 2)
    if scale is None:
        scale = 1 / math.sqrt(dq // heads)
    scores = q @ k.transpose(-1, -2) * scale
    if attention_bias is not None:
        scores = scores + attention_bias
    return (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, s, -1)


def network(kind, x, w, p):
    if kind == "fused_conv":
        c1 = F.relu(F.conv2d(x, w["w1"], w["b1"], padding=1))
        c2 = F.leaky_relu(F.conv2d(c1, w["w2"], w["b2"], padding=1) + c1, 0.1)
        c3 = torch.tanh(F.conv2d(c2, w["w3"], None, padding=1))
        c4 = torch.clamp(0.2 * F.conv2d(c3, w["w4"], w["b4"], padding=1) + 0.5, 0, 1)
        c5 = torch.clamp(F.conv2d(c4, w["w5"], w["b5"], stride=2), -0.5, 0.8)
        c6 = F.conv2d(c5, w["w6"], w["b6"])
        c7 = torch.sigmoid(F.conv2d(c5, w["w7"]) + c6)
        return torch.tanh(F.conv2d(c7, w["w8"], w["b8"]))
    if kind == "fused_conv_silu":
        return F.silu(F.conv2d(F.silu(F.conv2d(x, w["w1"], w["b1"])), w["w2"]))
    if kind == "fused_gemm":
        a = x.reshape(x.shape[0], -1)
        g1 = F.elu(0.7 * (a @ w["w1"]) + 0.5 * w["c1"], 0.8)
        z = g1 @ w["w2"].T + w["c2"]
        g2 = 1.2 * torch.where(z > 0, z, 1.5 * (torch.exp(z) - 1))
        g3 = torch.clamp(0.3 * (g2 @ w["w3"] + w["c3"]) + 0.4, 0, 1)
        m = g3.reshape(g3.shape[0], 4, 4)
        product = 0.5 * (m.transpose(-1, -2) @ w["m1"].T)
        first = product.reshape(product.shape[0], -1) + F.softplus(g2 @ w["w4"])
        t = m.transpose(0, 1).reshape(4, -1, 2, 2)  # (4, N, 2, 2)
        batch_first = t.permute(1, 2, 0, 3)  # transBatchA: axes [1, 2, 0, 3]
        u = t.permute(1, 2, 3, 0)  # transA and transBatchA: axes [1, 2, 3, 0]
        rows = batch_first @ u
        columns = u @ batch_first
        batch_b = 0.5 * (u @ batch_first)  # transBatchB on the second operand
        last = torch.relu(m).transpose(-1, -2) @ w["m5"]
        return torch.cat([first] + [p_.reshape(p_.shape[0], -1) for p_ in (rows, columns, batch_b, last)], dim=1)
    if kind == "gelu":
        g = gelu(x)
        g = gelu(g + w["bias1"])
        g = fast_gelu(g + w["bias2"])
        g = fast_gelu(g)
        g = quick_gelu(g, 1.5)
        return quick_gelu(g, 1.702)
    if kind == "encoder":
        s = x.reshape(x.shape[0], x.shape[2], x.shape[3])
        sizes = [int(p["dq"]), int(p["dq"]), int(p["dv"])]
        scale = p.get("scale")
        a = attention(s, w["wqkv"], w["bqkv"], int(p["heads"]), sizes, scale, w.get("attention_bias"))
        a = a @ w["wo"] if "wo" in w else a
        total = a + s + w["bias1"]
        y = layer_norm(total, w["gamma1"], w["beta1"], 1e-5)
        y2 = fast_gelu(y @ w["w2"])
        return layer_norm(y2 + total, w["gamma2"], None, 1e-12)
    raise ValueError(kind)


def main():
    save_gradients(sys.argv[1], network)


if __name__ == "__main__":
    main()

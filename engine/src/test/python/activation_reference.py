#!/usr/bin/env python3
"""PyTorch's own gradients of the activations that ActivationReferenceTest checks netvis against.

Usage: activation_reference.py DIR

DIR/cases.txt holds one case a line: `ID FUNCTION [NAME=VALUE ...]`; DIR/ID_x.npy the input (float32,
(N, C, H, W)) and DIR/ID_ct.npy the cotangent of the output. For each case this writes DIR/ID_f32.npy
and DIR/ID_f64.npy: d/dx sum(ct * f(x)) by autograd in float32 and in float64. Each FUNCTION is
PyTorch's module of the same definition as the ONNX operator the test builds, with the operator's
attributes as arguments.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from reference_cases import cases


def function(name, params):
    if name == "elu":
        return lambda x: F.elu(x, alpha=params["alpha"])
    if name == "selu":  # torch.selu: PyTorch's double constants, which ONNX's defaults round to float
        return torch.selu
    if name == "scaled_elu":  # Selu with an alpha and gamma of its own: aten::elu(x, alpha, scale)
        return lambda x: torch.ops.aten.elu(x, params["alpha"], params["gamma"], 1.0)
    if name == "celu":
        return lambda x: F.celu(x, alpha=params["alpha"])
    if name == "prelu":
        weights = [float(np.float32(v)) for v in params["slopes"].split(",")]
        return lambda x: F.prelu(x, torch.tensor(weights, dtype=x.dtype))
    if name == "threshold":  # ONNX's ThresholdedRelu: x where x > alpha, else 0
        return lambda x: F.threshold(x, params["alpha"], 0.0)
    if name == "softplus":
        return F.softplus
    if name == "softsign":
        return F.softsign
    if name == "mish":
        return F.mish
    if name == "gelu":
        return lambda x: F.gelu(x, approximate=params["approximate"])
    raise SystemExit(f"unknown function {name}")


def main():
    out = sys.argv[1]
    torch.set_num_threads(1)
    for case, name, params in cases(out):
        f = function(name, params)
        x = np.load(os.path.join(out, f"{case}_x.npy"))
        ct = np.load(os.path.join(out, f"{case}_ct.npy"))
        for dtype, suffix in ((torch.float32, "f32"), (torch.float64, "f64")):
            xt = torch.tensor(x, dtype=dtype, requires_grad=True)
            y = f(xt)
            (grad,) = torch.autograd.grad(y, xt, torch.tensor(ct, dtype=dtype))
            np.save(os.path.join(out, f"{case}_{suffix}.npy"), grad.detach().numpy())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch's grid_sample through a small spatial transformer, for GridSampleReferenceTest.

Usage: grid_sample_reference.py DIR

DIR/cases.txt holds one case a line: `ID grid_sample mode=M padding=P align_corners=0|1 grid=conv|affine`;
for each case DIR holds ID_x.npy (the input, float32 (N, 2, H, W)), ID_ct.npy (the cotangent of the
flattened output), ID_w.npy and ID_b.npy (a 1x1 convolution's weights (2, 2, 1, 1) and bias (2,), or the
matrix's (2, 6) and (6,)). The model, as the test writes it in ONNX:

  conv:   grid = 1.2 * tanh(conv1x1(x).permute(0, 2, 3, 1))
  affine: grid = affine_grid((mean of x over space @ w + b).reshape(-1, 2, 3), x's size, align_corners)
  y = grid_sample(x, grid, mode, padding, align_corners)

This writes ID_f32.npy and ID_f64.npy: d/dx sum(ct * y) by PyTorch's autograd in float32 and float64,
through both the image and the grid.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from reference_cases import cases


def main():
    out = sys.argv[1]
    torch.set_num_threads(1)
    for case, _, params in cases(out):
        load = lambda name: np.load(os.path.join(out, f"{case}_{name}.npy"))
        for dtype, suffix in ((torch.float32, "f32"), (torch.float64, "f64")):
            x = torch.tensor(load("x"), dtype=dtype, requires_grad=True)
            w, b = torch.tensor(load("w"), dtype=dtype), torch.tensor(load("b"), dtype=dtype)
            if params["grid"] == "affine":
                theta = (x.mean(dim=(2, 3)) @ w + b).reshape(-1, 2, 3)
                grid = F.affine_grid(theta, list(x.shape), align_corners=bool(params["align_corners"]))
            else:
                grid = 1.2 * torch.tanh(F.conv2d(x, w, b).permute(0, 2, 3, 1))
            y = F.grid_sample(x, grid, mode=params["mode"], padding_mode=params["padding"],
                              align_corners=bool(params["align_corners"]))
            (grad,) = torch.autograd.grad(y.reshape(x.shape[0], -1), x, torch.tensor(load("ct"), dtype=dtype))
            np.save(os.path.join(out, f"{case}_{suffix}.npy"), grad.detach().numpy())


if __name__ == "__main__":
    main()

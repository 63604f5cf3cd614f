#!/usr/bin/env python3
"""A small random-weight CNN with the activations of netvis' ActivationGradients (and a PixelShuffle and
a GroupNorm), exported by PyTorch, and its input gradients by PyTorch's autograd, for
ActivationReferenceTest.

Usage: activation_network.py DIR

Writes DIR/network.onnx (opset 17, dynamic batch; PyTorch's exporter writes Elu, PRelu, Selu, Celu,
Softplus and Softsign as those operators, Mish and GELU as their formulas), DIR/x.npy (two images),
DIR/ct.npy (a cotangent of the logits) and DIR/grad_f32.npy, DIR/grad_f64.npy: d/dx sum(ct * logits)
in float32 and float64.
"""
import os
import sys

import numpy as np
import torch
from torch import nn


class Network(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1),
                                    nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.Conv2d(8, 8, 1),
                                    nn.Conv2d(8, 8, 3, padding=1), nn.Conv2d(8, 8, 1)])
        self.activations = nn.ModuleList([nn.ELU(0.7), nn.PReLU(8), nn.SELU(), nn.CELU(1.3),
                                          nn.Sequential(nn.Softplus(), nn.Mish()), nn.Softsign()])
        # PyTorch writes PixelShuffle as DepthToSpace in CRD order, GroupNorm through InstanceNormalization.
        self.shuffle = nn.Sequential(nn.PixelShuffle(2), nn.Conv2d(2, 8, 3, stride=2, padding=1), nn.GroupNorm(4, 8))
        self.gelu = nn.GELU()
        self.gelu_tanh = nn.GELU(approximate="tanh")
        self.fc = nn.Linear(16, 10)
        with torch.no_grad():
            self.activations[1].weight.copy_(torch.linspace(-0.5, 0.8, 8))

    def forward(self, x):
        for conv, activation in zip(self.convs, self.activations):
            x = activation(conv(x))
        pooled = self.shuffle(x).mean(dim=(2, 3))
        return self.fc(torch.cat([self.gelu(pooled), self.gelu_tanh(pooled)], dim=1))


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    net = Network().eval()
    x = torch.randn(2, 3, 16, 16)
    torch.onnx.export(net, x, os.path.join(out, "network.onnx"), opset_version=17, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}})
    ct = torch.randn(2, 10)
    np.save(os.path.join(out, "x.npy"), x.numpy())
    np.save(os.path.join(out, "ct.npy"), ct.numpy())
    for dtype, suffix in ((torch.float32, "f32"), (torch.float64, "f64")):
        model = Network().eval()
        model.load_state_dict(net.state_dict())
        model = model.to(dtype)
        xt = x.to(dtype).requires_grad_(True)
        (grad,) = torch.autograd.grad(model(xt), xt, ct.to(dtype))
        np.save(os.path.join(out, f"grad_{suffix}.npy"), grad.detach().numpy())


if __name__ == "__main__":
    main()

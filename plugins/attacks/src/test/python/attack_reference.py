#!/usr/bin/env python3
"""An independent float32 PyTorch implementation of FGSM and PGD (L-inf and L2) with torchattacks 3.5's
formulas, for netvis' attack tests (torchattacks itself cannot be installed on these machines).

Usage: attack_reference.py MODEL.onnx PIXELS.npy LABELS.npy OUT_DIR
PIXELS are [0, 1] images (N, 3, H, W); the model (torchvision squeezenet1_1 with the ONNX file's weights)
normalizes inside with ImageNet's mean and std. Writes fgsm.npy, pgd_linf.npy, pgd_l2.npy, one PGD-L2
step in float32 and in float64, and both PGDs from a start moved by 1e-6 (PyTorch's own float32
sensitivity).
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
import torchvision
from onnx import numpy_helper

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


class Normalized(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net((x - MEAN.to(x.dtype)) / STD.to(x.dtype))


def load(path):
    net = torchvision.models.squeezenet1_1()
    state = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(path).graph.initializer}
    net.load_state_dict(state)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return Normalized(net)


def grad(model, x, labels):
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), labels, reduction="sum")
    (g,) = torch.autograd.grad(loss, x)
    return g


def fgsm(model, images, labels, eps=8 / 255):
    return torch.clamp(images + eps * grad(model, images, labels).sign(), 0, 1)


def pgd_linf(model, images, labels, eps=8 / 255, alpha=2 / 255, steps=10):
    adv = images.clone()
    for _ in range(steps):
        adv = adv + alpha * grad(model, adv, labels).sign()
        delta = torch.clamp(adv - images, min=-eps, max=eps)
        adv = torch.clamp(images + delta, 0, 1)
    return adv


def pgd_l2(model, images, labels, eps=1.0, alpha=0.2, steps=10):
    n = images.shape[0]
    adv = images.clone()
    for _ in range(steps):
        g = grad(model, adv, labels)
        g = g / (g.view(n, -1).norm(p=2, dim=1) + 1e-10).view(n, 1, 1, 1)
        adv = adv + alpha * g
        delta = adv - images
        factor = torch.min(eps / delta.view(n, -1).norm(p=2, dim=1), torch.ones(n, dtype=images.dtype))
        adv = torch.clamp(images + delta * factor.view(n, 1, 1, 1), 0, 1)
    return adv


def main():
    model_path, pixels_path, labels_path, out = sys.argv[1:5]
    os.makedirs(out, exist_ok=True)
    model = load(model_path)
    x = torch.from_numpy(np.load(pixels_path).astype(np.float32))
    y = torch.from_numpy(np.load(labels_path).astype(np.int64))
    np.save(os.path.join(out, "fgsm.npy"), fgsm(model, x, y).numpy())
    np.save(os.path.join(out, "pgd_linf.npy"), pgd_linf(model, x, y).numpy())
    np.save(os.path.join(out, "pgd_l2.npy"), pgd_l2(model, x, y).numpy())
    np.save(os.path.join(out, "pgd_l2_1.npy"), pgd_l2(model, x, y, steps=1).numpy())
    # The same step in float64: the exact answer that both float32 implementations are judged by.
    np.save(os.path.join(out, "pgd_l2_1_float64.npy"), pgd_l2(load(model_path).double(), x.double(), y, steps=1).numpy())
    # PGD is chaotic in float32: the same attack from a start moved by 1e-6 ends elsewhere. These runs
    # measure how far PyTorch is from itself, which bounds what two implementations can agree on.
    gen = torch.Generator().manual_seed(0)
    moved = torch.clamp(x + 1e-6 * torch.randn(x.shape, generator=gen), 0, 1)
    np.save(os.path.join(out, "pgd_linf_moved_start.npy"), pgd_linf(model, moved, y).numpy())
    np.save(os.path.join(out, "pgd_l2_moved_start.npy"), pgd_l2(model, moved, y).numpy())
    np.save(os.path.join(out, "moved_start.npy"), moved.numpy())
    print("wrote", out)


if __name__ == "__main__":
    main()

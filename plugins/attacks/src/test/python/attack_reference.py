#!/usr/bin/env python3
"""An independent float32 PyTorch implementation of FGSM, PGD (L-inf and L2), MI-FGSM and DeepFool with
torchattacks 3.5's formulas, for netvis' attack tests (torchattacks itself cannot be installed on these
machines).

Usage: attack_reference.py MODEL.onnx PIXELS.npy LABELS.npy OUT_DIR
PIXELS are [0, 1] images (N, 3, H, W); the model (torchvision squeezenet1_1 with the ONNX file's weights)
normalizes inside with ImageNet's mean and std. Writes fgsm.npy, pgd_linf.npy, pgd_l2.npy, one PGD-L2
step in float32 and in float64, and both PGDs from a start moved by 1e-6 (PyTorch's own float32
sensitivity); mifgsm.npy and its run from the moved start; deepfool.npy and deepfool_steps.npy (10
candidate classes, the paper's code's and Foolbox's choice; torchattacks takes every class); cw.npy and
its run from the moved start.
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


def mifgsm(model, images, labels, eps=8 / 255, alpha=2 / 255, steps=10, decay=1.0):
    momentum = torch.zeros_like(images)
    adv = images.clone()
    for _ in range(steps):
        adv.requires_grad_(True)
        cost = F.cross_entropy(model(adv), labels)  # torchattacks' mean; the normalization drops the scale
        (g,) = torch.autograd.grad(cost, adv)
        g = g / torch.mean(torch.abs(g), dim=(1, 2, 3), keepdim=True)
        g = g + momentum * decay
        momentum = g
        adv = adv.detach() + alpha * g.sign()
        delta = torch.clamp(adv - images, min=-eps, max=eps)
        adv = torch.clamp(images + delta, min=0, max=1).detach()
    return adv


def deepfool(model, images, labels, steps=50, overshoot=0.02, candidates=10):
    """torchattacks' DeepFool, image by image, over the label and its candidates: the candidates most
    likely other classes at the start (torchattacks: every class)."""
    with torch.no_grad():
        start = model(images)
    advs, taken = [], []
    for i in range(len(images)):
        label = int(labels[i])
        order = [int(k) for k in torch.sort(-start[i], stable=True).indices if int(k) != label][:candidates]
        classes = [label] + order
        image = images[i:i + 1].clone()
        n = 0
        for _ in range(steps):
            image.requires_grad_(True)
            fs = model(image)[0]
            if int(torch.argmax(fs)) != label:
                break
            ws = torch.stack([torch.autograd.grad(fs[k], image, retain_graph=True)[0][0] for k in classes])
            image = image.detach()
            f_prime = fs[classes[1:]].detach() - fs[label].detach()
            w_prime = ws[1:] - ws[0]
            value = torch.abs(f_prime) / torch.norm(w_prime.flatten(1), p=2, dim=1)
            best = int(torch.argmin(value))
            delta = torch.abs(f_prime[best]) * w_prime[best] / (torch.norm(w_prime[best], p=2) ** 2)
            image = torch.clamp(image + (1 + overshoot) * delta, min=0, max=1).detach()
            n += 1
        advs.append(image.detach())
        taken.append(n)
    return torch.cat(advs), np.array(taken)


def cw(model, images, labels, c=1.0, kappa=0.0, steps=50, lr=0.01):
    """torchattacks' CW (untargeted), one image at a time: its early stop compares the batch's summed
    cost, which for a batch of one is the image's own, as netvis checks each image."""
    out = []
    for i in range(len(images)):
        x, y = images[i:i + 1], labels[i:i + 1]
        w = (0.5 * torch.log((1 + torch.clamp(x * 2 - 1, -1, 1)) / (1 - torch.clamp(x * 2 - 1, -1, 1)))).detach()
        w.requires_grad_(True)
        best = x.clone()
        best_l2 = 1e10 * torch.ones(1)
        prev = 1e10
        optimizer = torch.optim.Adam([w], lr=lr)
        for step in range(steps):
            adv = 0.5 * (torch.tanh(w) + 1)
            current_l2 = ((adv - x) ** 2).flatten(1).sum(dim=1)
            outputs = model(adv)
            one_hot = torch.eye(outputs.shape[1])[y]
            other = torch.max((1 - one_hot) * outputs, dim=1)[0]
            real = torch.max(one_hot * outputs, dim=1)[0]
            f = torch.clamp(real - other, min=-kappa)
            cost = current_l2.sum() + c * f.sum()
            optimizer.zero_grad()
            cost.backward()
            optimizer.step()
            pre = torch.argmax(outputs.detach(), 1)
            mask = (pre != y).float() * (best_l2 > current_l2.detach()).float()
            best_l2 = mask * current_l2.detach() + (1 - mask) * best_l2
            best = mask.view(-1, 1, 1, 1) * adv.detach() + (1 - mask.view(-1, 1, 1, 1)) * best
            if step % max(steps // 10, 1) == 0:
                if cost.item() > prev:
                    break
                prev = cost.item()
        out.append(best.detach())
    return torch.cat(out)


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
    np.save(os.path.join(out, "mifgsm.npy"), mifgsm(model, x, y).numpy())
    np.save(os.path.join(out, "mifgsm_moved_start.npy"), mifgsm(model, moved, y).numpy())
    adv, taken = deepfool(model, x, y)
    np.save(os.path.join(out, "deepfool.npy"), adv.numpy())
    np.save(os.path.join(out, "deepfool_steps.npy"), taken)
    np.save(os.path.join(out, "cw.npy"), cw(model, x, y).numpy())
    np.save(os.path.join(out, "cw_moved_start.npy"), cw(model, moved, y).numpy())
    print("wrote", out)


if __name__ == "__main__":
    main()

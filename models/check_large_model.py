#!/usr/bin/env python3
"""Check netvis on a model over 2 GB: torchvision's ViT-H/14 with random weights (632 M parameters).

PyTorch writes a model this large with its weights in data files beside the .onnx file (here 200 of
them, 2.5 GB); netvis maps them and refers to them again in every graph it hands ONNX Runtime. The
script exports the model (a random head: torchvision initializes it to zeros, which would make every
input gradient zero), computes PyTorch's float32 scores for two random images and the float64 autograd
input gradient of sum(cotangent * logits) for the first, runs `./netvis vjp` on both images, and prints
the differences, netvis' wall time and the size of the companion gradient graph it saved.

Usage: python3 models/check_large_model.py [--out-dir DIR]   (NETVIS=command to use another launcher)
Needs torch, torchvision and onnx (Debian: python3-torch python3-torchvision python3-onnx), about 12 GB
of memory and, on a 2-core machine, some 15 minutes (PyTorch's float64 gradient alone takes 6 or 7).
"""
import argparse
import os
import subprocess
import tempfile
import time

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=None, help="where the model and arrays go (default: a new temp dir)")
    args = parser.parse_args()
    out = args.out_dir or tempfile.mkdtemp(prefix="netvis-large-")
    os.makedirs(os.path.join(out, "model"), exist_ok=True)
    model_file = os.path.join(out, "model", "vit_h_14.onnx")
    torch.set_num_threads(os.cpu_count() or 1)

    torch.manual_seed(0)
    m = torchvision.models.vit_h_14(weights=None).eval()
    with torch.no_grad():
        m.heads.head.weight.normal_(0, 0.02, generator=torch.Generator().manual_seed(1))
    params = sum(p.numel() for p in m.parameters())
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    ct = torch.randn(2, 1000, generator=torch.Generator().manual_seed(3))

    t = time.time()
    torch.onnx.export(m, x[:1], model_file, opset_version=17, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}})
    data = [f for f in os.listdir(os.path.dirname(model_file)) if not f.endswith(".onnx")]
    size = sum(os.path.getsize(os.path.join(os.path.dirname(model_file), f)) for f in data)
    print(f"exported {params / 1e6:.0f} M parameters in {time.time() - t:.0f} s: {len(data)} data files, "
          f"{size / 1e9:.2f} GB")

    np.save(os.path.join(out, "input.npy"), x.numpy())
    np.save(os.path.join(out, "cotangent.npy"), ct.numpy())
    with torch.no_grad():
        logits32 = m(x).numpy()
    t = time.time()
    md = m.double()
    xd = x[:1].double().requires_grad_(True)
    (md(xd) * ct[:1].double()).sum().backward()
    grad64 = xd.grad.numpy()[0]
    print(f"PyTorch float64 gradient of the first image in {time.time() - t:.0f} s")
    del md

    netvis = os.environ.get("NETVIS", os.path.join(REPO, "netvis")).split()
    t = time.time()
    subprocess.run(netvis + ["vjp", "--model", model_file, "--input", os.path.join(out, "input.npy"),
                             "--cotangent", os.path.join(out, "cotangent.npy"),
                             "--output", os.path.join(out, "grad_netvis.npy"),
                             "--logits", os.path.join(out, "logits_netvis.npy")], check=True)
    wall = time.time() - t
    logits = np.load(os.path.join(out, "logits_netvis.npy"))
    grad = np.load(os.path.join(out, "grad_netvis.npy"))[0].astype(np.float64)
    companion = model_file.replace(".onnx", ".vjp.onnx")
    saved = f"{os.path.getsize(companion) / 1e6:.1f} MB" if os.path.exists(companion) else "in the cache"
    print(f"netvis vjp, 2 images, its gradient graph derived: {wall:.0f} s; the companion graph: {saved}")
    print(f"scores: max |netvis - PyTorch float32| {np.abs(logits - logits32).max():.2e} "
          f"(largest |score| {np.abs(logits32).max():.2f}, same top-1: {(logits.argmax(1) == logits32.argmax(1)).all()})")
    print(f"input gradient, first image: relative L2 to PyTorch float64 "
          f"{np.linalg.norm(grad - grad64) / np.linalg.norm(grad64):.2e}")
    print(f"files in {out}")


if __name__ == "__main__":
    main()

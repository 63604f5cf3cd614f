#!/usr/bin/env python3
"""PyTorch eager baseline for netvis' benchmark (Debian's python3-torch, CPU, float32).

The weights come from the ONNX file's initializers, loaded into torchvision's squeezenet1_1, so both
sides run the same network.

  pytorch_baseline.py micro MODEL.onnx INPUTS.npy --batches 1,8,32 --seconds 4 --logits-out L.npy
      forward and VJP time per image (medians; forward and VJP alternate within each round)
  pytorch_baseline.py workflow MODEL.onnx IMAGES_DIR
      the reference workflow: saliency on the five samples, fooling sample 0 into class 6,
      class visualization of 187 for 100 iterations (the CS231n assignment's loops)
"""
import argparse
import json
import random
import sys
import time

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def load_model(path):
    model = torchvision.models.squeezenet1_1()
    onnx_model = onnx.load(path)
    state = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx_model.graph.initializer}
    missing = model.load_state_dict(state, strict=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def micro(args):
    model = load_model(args.model)
    inputs = torch.from_numpy(np.load(args.inputs))
    with torch.no_grad():
        logits = model(inputs).numpy()
    if args.logits_out:
        np.save(args.logits_out, logits)
    results = {}
    for batch in [int(b) for b in args.batches.split(",")]:
        reps = (batch + inputs.shape[0] - 1) // inputs.shape[0]
        x = inputs.repeat(reps, 1, 1, 1)[:batch].contiguous()
        ct = torch.randn(batch, 1000, generator=torch.Generator().manual_seed(batch))
        for _ in range(3):
            with torch.no_grad():
                model(x)
            xg = x.clone().requires_grad_(True)
            (model(xg) * ct).sum().backward()
        fwd, vjp = [], []
        end = time.perf_counter() + args.seconds
        while time.perf_counter() < end or len(fwd) < 5:
            t0 = time.perf_counter()
            with torch.no_grad():
                model(x)
            t1 = time.perf_counter()
            xg = x.clone().requires_grad_(True)
            (model(xg) * ct).sum().backward()
            t2 = time.perf_counter()
            fwd.append((t1 - t0) * 1000)
            vjp.append((t2 - t1) * 1000)
        results[batch] = {"forward_ms": float(np.median(fwd)), "vjp_ms": float(np.median(vjp))}
    print(json.dumps({"threads": torch.get_num_threads(), "torch": torch.__version__, "results": results}))


def preprocess(path):
    from PIL import Image
    t = torchvision.transforms.Compose([
        torchvision.transforms.Resize(224), torchvision.transforms.CenterCrop(224), torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize(MEAN.tolist(), STD.tolist())])
    return t(Image.open(path).convert("RGB"))


def jitter(x, ox, oy):
    return torch.roll(torch.roll(x, ox, dims=3), oy, dims=2)


def gaussian_kernel(sigma, truncate=4.0):
    radius = int(truncate * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return k / k.sum()


def blur(x, sigma):
    # scipy.ndimage.gaussian_filter1d along H then W, mode "reflect" (edge sample repeated).
    k = torch.from_numpy(gaussian_kernel(sigma).astype(np.float32))
    r = len(k) // 2
    c = x.shape[1]
    xh = torch.nn.functional.pad(x, (0, 0, r, r), mode="replicate") if r == 1 else reflect_pad(x, r, dim=2)
    x = torch.nn.functional.conv2d(xh, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
    xw = reflect_pad(x, r, dim=3)
    return torch.nn.functional.conv2d(xw, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)


def reflect_pad(x, r, dim):
    n = x.shape[dim]
    idx = [(-i - 1) % (2 * n) for i in range(r, 0, -1)] + list(range(n)) + [n + i for i in range(r)]
    idx = [i if i < n else 2 * n - 1 - i for i in (j % (2 * n) for j in idx)]
    return x.index_select(dim, torch.tensor(idx))


def workflow(args):
    model = load_model(args.model)
    names = ["00_hay.png", "01_quail.png", "02_tibetan_mastiff.png", "03_border_terrier.png", "04_brown_bear.png"]
    labels = torch.tensor([958, 85, 244, 182, 294])
    X = torch.stack([preprocess(f"{args.images}/{n}") for n in names])
    # Saliency (the assignment's compute_saliency_maps).
    Xs = X.clone().requires_grad_(True)
    model(Xs).gather(1, labels.view(-1, 1)).squeeze().sum().backward()
    saliency = Xs.grad.abs().max(dim=1)[0]
    # Fooling sample 0 into class 6 (make_fooling_image).
    Xf = X[0:1].clone().requires_grad_(True)
    steps = 0
    for i in range(100):
        scores = model(Xf)
        if scores.argmax(1).item() == 6:
            break
        scores[0, 6].backward()
        with torch.no_grad():
            Xf += Xf.grad / Xf.grad.norm()
            Xf.grad.zero_()
        steps += 1
    # Class visualization of 187 (create_class_visualization).
    torch.manual_seed(0)
    img = torch.randn(1, 3, 224, 224).requires_grad_(True)
    lo = torch.from_numpy((0 - MEAN) / STD).view(1, 3, 1, 1)
    hi = torch.from_numpy((1 - MEAN) / STD).view(1, 3, 1, 1)
    for t in range(100):
        ox, oy = random.randint(0, 16), random.randint(0, 16)
        with torch.no_grad():
            img.copy_(jitter(img, ox, oy))
        score = model(img)[0, 187] - 1e-3 * (img * img).sum()
        score.backward()
        with torch.no_grad():
            img += 25 * img.grad / img.grad.norm()
            img.grad.zero_()
            img.copy_(jitter(img, -ox, -oy))
            img.copy_(torch.max(torch.min(img, hi), lo))
            if t % 10 == 0:
                img.copy_(blur(img, 0.5))
    with torch.no_grad():
        p = torch.softmax(model(img), 1)[0, 187].item()
    print(json.dumps({"saliency_max": float(saliency.max()), "fooling_steps": steps, "class_probability": p}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    sub = parser.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("micro")
    m.add_argument("model")
    m.add_argument("inputs")
    m.add_argument("--batches", default="1,8,32")
    m.add_argument("--seconds", type=float, default=4)
    m.add_argument("--logits-out")
    w = sub.add_parser("workflow")
    w.add_argument("model")
    w.add_argument("images")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    micro(args) if args.cmd == "micro" else workflow(args)


if __name__ == "__main__":
    sys.exit(main())

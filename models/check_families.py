#!/usr/bin/env python3
"""Check netvis' derived gradients on every torchvision architecture family.

For each family: build the torchvision class with random weights (a small configuration where the
full model is too large to export quickly), export it as models/export_torchvision.py does, compute
the input gradient of sum(cotangent * logits) with PyTorch autograd in float64 for four random
images (and PyTorch's own float32 error on them), write them as NAME.ref/ beside NAME.onnx, and run `./netvis check-model NAME.onnx`, which
compares against that reference (lower-median per-image relative L2 <= 1e-4, every image <= 1e-2)
and against finite differences. Prints one line per family and a table for the README.

Usage: python3 models/check_families.py [--out-dir DIR] [FAMILY ...]   (NETVIS=command to use another launcher)
Needs torch, torchvision and onnx (Debian: python3-torch python3-torchvision python3-onnx).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torchvision
from torchvision import models as tvm

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def small_vgg():
    # torchvision's VGG class with the vgg11_bn layer configuration; the 4096-wide classifier
    # (102 M parameters) is narrowed so the export stays small. Ops are the family's.
    m = tvm.vgg11_bn(weights=None)
    m.classifier = torch.nn.Sequential(torch.nn.Linear(512 * 7 * 7, 256), torch.nn.ReLU(True), torch.nn.Dropout(),
                                       torch.nn.Linear(256, 1000))
    return m


def small_alexnet():
    m = tvm.alexnet(weights=None)
    m.classifier = torch.nn.Sequential(torch.nn.Dropout(), torch.nn.Linear(256 * 6 * 6, 256), torch.nn.ReLU(True),
                                       torch.nn.Linear(256, 1000))
    return m


def qat_resnet18():
    # torchvision's quantizable ResNet-18 prepared for quantization-aware training (per-channel int8
    # weights, uint8 activations), its observers fed three random batches and then frozen: exported
    # as QuantizeLinear/DequantizeLinear pairs (the QDQ format). Its reference is PyTorch's fake
    # quantization, whose gradient passes where nothing was clamped, as netvis' does.
    from torch.ao import quantization as q
    from torchvision.models.quantization import resnet18
    m = resnet18(weights=None, quantize=False).eval()
    m.fuse_model(is_qat=True)
    m.train()
    m.qconfig = q.QConfig(
        activation=q.FakeQuantize.with_args(observer=q.MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                                            dtype=torch.quint8),
        weight=q.FakeQuantize.with_args(observer=q.MovingAveragePerChannelMinMaxObserver, quant_min=-128,
                                        quant_max=127, dtype=torch.qint8, qscheme=torch.per_channel_symmetric))
    q.prepare_qat(m, inplace=True)
    with torch.no_grad():
        for _ in range(3):
            m(torch.randn(4, 3, 224, 224))
    m.apply(q.disable_observer)
    return m


class SpatialTransformer(torch.nn.Module):
    """A spatial transformer in front of a ResNet-18: a small localization net predicts an affine
    matrix near the identity, the image is resampled with grid_sample. The affine grid is written as
    a MatMul with the pixel centres' coordinates, since PyTorch 1.13 cannot export affine_grid."""

    def __init__(self, size=224):
        super().__init__()
        self.size = size
        self.localization = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 7, stride=4), torch.nn.ReLU(),
                                                torch.nn.AvgPool2d(((size - 7) // 4 + 1) // 2), torch.nn.Flatten(),
                                                torch.nn.Linear(8 * 2 * 2, 6))
        torch.nn.init.normal_(self.localization[-1].weight, std=0.01)
        self.localization[-1].bias.data = torch.tensor([0.9, 0.1, 0.05, -0.1, 0.8, 0.0])
        centres = (torch.arange(size, dtype=torch.float32) * 2 + 1) / size - 1
        self.register_buffer("base", torch.stack([centres.repeat(size), centres.repeat_interleave(size),
                                                  torch.ones(size * size)], dim=1))
        self.classifier = tvm.resnet18(weights=None)

    def forward(self, x):
        theta = self.localization(x).view(-1, 2, 3)
        grid = (self.base @ theta.transpose(1, 2)).view(-1, self.size, self.size, 2)
        return self.classifier(torch.nn.functional.grid_sample(x, grid, align_corners=False))


def half_rounded(model):
    # The weights rounded to float16 and back: the float64 reference then has the float16 file's own
    # weights, which netvis widens back to float32 exactly.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    return model


def to_float16(path):
    """Rewrites an exported file as float16 converters leave it: float16 weights, Constant values and
    Cast targets, float32 input and output kept behind Casts."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    m = onnx.load(path)
    g = m.graph
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            g.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name))
    for n in g.node:
        for a in n.attribute:
            if n.op_type == "Constant" and a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16), a.t.name))
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    del g.value_info[:]
    inp, out = g.input[0].name, g.output[0].name
    for n in g.node:
        n.input[:] = [inp + "_fp16" if x == inp else x for x in n.input]
        n.output[:] = [out + "_fp16" if x == out else x for x in n.output]
    g.node.insert(0, helper.make_node("Cast", [inp], [inp + "_fp16"], to=TensorProto.FLOAT16))
    g.node.append(helper.make_node("Cast", [out + "_fp16"], [out], to=TensorProto.FLOAT))
    onnx.save(m, path)


def random_head(vit):
    # torchvision zero-initializes the ViT head, which would make every input gradient zero.
    torch.nn.init.normal_(vit.heads.head.weight, std=0.02)
    return vit


FAMILIES = {
    # family: (how it is built, input size, what it exercises)
    "alexnet": (small_alexnet, 224, "AlexNet features, narrowed classifier"),
    "vgg": (small_vgg, 224, "vgg11_bn features, narrowed classifier"),
    "resnet": (lambda: tvm.resnet50(weights=None), 224, "resnet50"),
    "resnext": (lambda: tvm.resnext50_32x4d(weights=None), 224, "resnext50_32x4d (grouped 3x3)"),
    "densenet": (lambda: tvm.densenet121(weights=None), 224, "densenet121"),
    "googlenet": (lambda: tvm.googlenet(weights=None, aux_logits=False, init_weights=True), 224, "googlenet"),
    "inception": (lambda: tvm.inception_v3(weights=None, aux_logits=False, init_weights=True), 299, "inception_v3 at 299"),
    "squeezenet": (lambda: tvm.squeezenet1_0(weights=None), 224, "squeezenet1_0"),
    "shufflenet": (lambda: tvm.shufflenet_v2_x0_5(weights=None), 224, "shufflenet_v2_x0_5"),
    "mobilenet_v2": (lambda: tvm.mobilenet_v2(weights=None), 224, "mobilenet_v2"),
    "mobilenet_v3": (lambda: tvm.mobilenet_v3_small(weights=None), 224, "mobilenet_v3_small (hardswish, SE)"),
    "mnasnet": (lambda: tvm.mnasnet0_5(weights=None), 224, "mnasnet0_5"),
    "efficientnet": (lambda: tvm.efficientnet_b0(weights=None), 224, "efficientnet_b0 (SiLU, SE)"),
    "regnet": (lambda: tvm.regnet_y_400mf(weights=None), 224, "regnet_y_400mf"),
    "convnext": (lambda: tvm.convnext_tiny(weights=None), 224, "convnext_tiny"),
    "vit": (lambda: random_head(tvm.VisionTransformer(image_size=224, patch_size=16, num_layers=2, num_heads=4,
                                                      hidden_dim=64, mlp_dim=128)),
            224, "VisionTransformer patch 16, 2 layers, width 64"),
    "swin": (lambda: tvm.swin_t(weights=None), 224, "swin_t"),
    "efficientnet_v2": (lambda: tvm.efficientnet_v2_s(weights=None), 224, "efficientnet_v2_s (fused MBConv)"),
    "maxvit": (lambda: tvm.maxvit_t(weights=None), 224, "maxvit_t (MBConv, block and grid attention)"),
    "resnet_qat": (qat_resnet18, 224, "quantizable resnet18, QAT fake quantization (QDQ)"),
    "stn": (SpatialTransformer, 224, "spatial transformer (GridSample) + resnet18"),
    "vit_fp16": (lambda: half_rounded(random_head(tvm.VisionTransformer(image_size=224, patch_size=16, num_layers=2,
                                                                         num_heads=4, hidden_dim=64, mlp_dim=128))),
                 224, "the vit family's model stored in float16"),
}
# Rewrites of the exported file before it is checked.
AFTER_EXPORT = {"vit_fp16": to_float16}


def export(name, model, size, out_dir):
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(model, torch.zeros(1, 3, size, size), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17,
                      do_constant_folding=True)
    return path


def reference(model, size, ref_dir, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(4, 3, size, size, generator=g)
    m64 = model.double()
    for module in m64.modules():
        # Fake quantization takes float32 scales and int32 zero points whatever the tensor's type.
        if isinstance(module, torch.ao.quantization.FakeQuantize):
            module.scale = module.scale.float()
            module.zero_point = module.zero_point.int()
    x64 = x.double().requires_grad_(True)
    logits = m64(x64)
    cotangent = torch.randn(logits.shape, generator=g).double()
    (grad,) = torch.autograd.grad((logits * cotangent).sum(), x64)
    # PyTorch's own float32 error, per image: how far float32 ties move the gradient of this network.
    m32 = model.float()
    x32 = x.clone().requires_grad_(True)
    (grad32,) = torch.autograd.grad((m32(x32) * cotangent.float()).sum(), x32)
    float32_error = [float(np.linalg.norm(grad32[k].numpy() - grad[k].numpy()) / np.linalg.norm(grad[k].numpy()))
                     for k in range(x.shape[0])]
    os.makedirs(ref_dir, exist_ok=True)
    np.save(os.path.join(ref_dir, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(ref_dir, "cotangent.npy"), cotangent.numpy().astype(np.float32))
    np.save(os.path.join(ref_dir, "logits.npy"), logits.detach().numpy())
    np.save(os.path.join(ref_dir, "grad_input.npy"), grad.numpy())
    np.save(os.path.join(ref_dir, "float32_error.npy"), np.array(float32_error))
    return float32_error


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", default=list(FAMILIES))
    parser.add_argument("--out-dir", default=None)
    args = parser.parse_args()
    out_dir = args.out_dir or tempfile.mkdtemp(prefix="netvis-families-")
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    failed = 0
    for i, family in enumerate(args.families):
        make, size, what = FAMILIES[family]
        torch.manual_seed(i)
        model = make().eval()
        start = time.time()
        path = export(family, model, size, out_dir)
        if family in AFTER_EXPORT:
            AFTER_EXPORT[family](path)
        float32_error = reference(model, size, os.path.join(out_dir, family + ".ref"), seed=100 + i)
        run = subprocess.run([os.environ.get("NETVIS", os.path.join(REPO, "netvis")), "check-model", path, "--device", "cpu",
                              "--size", str(size)], capture_output=True, text=True)
        verdict = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr.strip()
        ref = re.search(r"lower median ([0-9.e+-]+) .*max ([0-9.e+-]+)", run.stdout)
        fd = re.search(r"finite differences: largest relative error ([0-9.e+-]+)(, not counted)?", run.stdout)
        ok = run.returncode == 0
        failed += not ok
        rows.append((family, what, ref.group(1) if ref else "-", ref.group(2) if ref else "-",
                     "%.1e" % max(float32_error),
                     "inconclusive" if not fd else fd.group(1) + (" (not counted)" if fd.group(2) else ""),
                     "PASS" if ok else "FAIL"))
        print(f"{family:13s} {what:45s} reference lower median {rows[-1][2]}, max {rows[-1][3]} (PyTorch float32 max "
              f"{rows[-1][4]}); finite differences {rows[-1][5]}: {rows[-1][6]} ({time.time() - start:.0f} s)", flush=True)
        if not ok:
            print(run.stdout[-2000:], run.stderr[-2000:], sep="\n")
    print("\n| family | torchvision class (random weights) | netvis vs float64 autograd: lower median / max "
          "per-image relative L2 | PyTorch float32 vs float64: max | finite differences (largest relative error) "
          "| check-model |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} / {r[3]} | {r[4]} | {r[5]} | {r[6]} |")
    print(f"\nfiles in {out_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

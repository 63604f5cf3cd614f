#!/usr/bin/env python3
"""Export a torchvision classifier to ONNX and write a netvis model descriptor beside it.

Usage:
  python3 models/export_torchvision.py NAME            # pretrained weights (downloaded by torchvision)
  python3 models/export_torchvision.py NAME --random   # random weights: no internet needed
  python3 models/export_torchvision.py --list          # the classification models torchvision has

Writes NAME.onnx, NAME.yaml (the descriptor: sha256, input, preprocessing, class names file) and
NAME_classes.txt into --out-dir (default: netvis' user model cache, which `model: NAME` searches),
so `./netvis run` with `model: NAME`, `./netvis check-model NAME` and `./netvis layers NAME` work
after. Preprocessing and class names come from the weights' metadata (torchvision's own numbers).
The export has input "input" [batch, 3, size, size] with a dynamic batch and output "logits"
[batch, classes] (raw scores).
"""
import argparse
import hashlib
import os
import sys

import torch
import torchvision


def default_out_dir() -> str:
    cache = os.environ.get("NETVIS_CACHE")
    if not cache:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        cache = os.path.join(base, "netvis")
    return os.path.join(cache, "models")


def classification_models():
    return sorted(torchvision.models.list_models(module=torchvision.models)) \
        if hasattr(torchvision.models, "list_models") else sorted(
            n for n in dir(torchvision.models) if n[0].islower() and not n.startswith("_")
            and callable(getattr(torchvision.models, n)) and n not in ("get_model", "get_weight", "get_model_weights",
                                                                      "get_model_builder", "list_models"))


def default_weights(name):
    try:
        return torchvision.models.get_model_weights(name).DEFAULT
    except (AttributeError, ValueError, KeyError):
        return None


def build(name, weights, random_weights):
    builder = getattr(torchvision.models, name)
    if random_weights:
        kwargs = {}
        if weights is not None:
            kwargs["num_classes"] = len(weights.meta["categories"])
        if name in ("inception_v3", "googlenet"):
            kwargs["aux_logits"] = False
            kwargs["init_weights"] = True
        return builder(weights=None, **kwargs)
    return builder(weights=weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arch", nargs="?", help="torchvision.models name, e.g. resnet50, vit_b_16, convnext_tiny")
    parser.add_argument("--random", action="store_true", help="random weights instead of the pretrained ones")
    parser.add_argument("--out-dir", default=default_out_dir(), help="where to write (default: %(default)s)")
    parser.add_argument("--id", help="model id and file stem (default: the architecture name)")
    parser.add_argument("--size", type=int, help="input height and width (default: the weights' crop size)")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--seed", type=int, default=0, help="seed for --random")
    parser.add_argument("--list", action="store_true", help="list torchvision's classification models and exit")
    parser.add_argument("--out", help=argparse.SUPPRESS)  # the old form: an explicit .onnx path
    args = parser.parse_args()
    if args.list:
        print("\n".join(classification_models()))
        return
    if not args.arch:
        parser.error("name a torchvision model (see --list)")

    torch.manual_seed(args.seed)
    weights = default_weights(args.arch)
    model = build(args.arch, weights, args.random).eval()
    meta = weights.meta if weights is not None else {}
    transforms = weights.transforms() if weights is not None else None
    crop = args.size or (int(transforms.crop_size[0]) if transforms is not None else 224)
    resize = int(transforms.resize_size[0]) if transforms is not None else crop
    if args.size and transforms is not None:
        resize = round(crop * transforms.resize_size[0] / transforms.crop_size[0])
    mean = list(transforms.mean) if transforms is not None else [0.485, 0.456, 0.406]
    std = list(transforms.std) if transforms is not None else [0.229, 0.224, 0.225]
    interpolation = str(getattr(transforms, "interpolation", "bilinear")).split(".")[-1].lower()
    categories = meta.get("categories") or [f"class {i}" for i in range(1000)]

    model_id = args.id or args.arch
    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = args.out or os.path.join(args.out_dir, model_id + ".onnx")
    out_dir = os.path.dirname(os.path.abspath(onnx_path))
    example = torch.zeros(1, 3, crop, crop)
    torch.onnx.export(model, example, onnx_path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=args.opset, do_constant_folding=True)
    with open(onnx_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    names_file = model_id + "_classes.txt"
    with open(os.path.join(out_dir, names_file), "w") as f:
        f.write("\n".join(categories) + "\n")
    source = "random weights (seed %d)" % args.seed if args.random else "pretrained weights " + str(weights)
    command = "python3 models/export_torchvision.py " + args.arch + (" --random" if args.random else "")
    note = "" if interpolation == "bilinear" else (
        "# torchvision resizes these weights' inputs with %s interpolation; netvis resizes bilinearly\n" % interpolation)
    descriptor = f"""# Written by models/export_torchvision.py: torchvision {args.arch}, {source}.
id: {model_id}
description: torchvision {args.arch} ({source}), exported with torch {torch.__version__} at opset {args.opset}
file: {os.path.basename(onnx_path)}
sha256:
  - {sha}
input:
  name: input
  layout: NCHW
  size: {crop}
{note}preprocessing:
  resize: {resize}
  crop: {crop}
  color: RGB
  scale: 255.0
  mean: {mean}
  std: {std}
classes:
  count: {len(categories)}
  names: {names_file}
obtain:
  export: {command}
"""
    with open(os.path.join(out_dir, model_id + ".yaml"), "w") as f:
        f.write(descriptor)
    print(f"wrote {onnx_path} (sha256 {sha}) and {os.path.join(out_dir, model_id + '.yaml')}")


if __name__ == "__main__":
    sys.exit(main())

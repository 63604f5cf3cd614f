#!/usr/bin/env python3
"""Export a pretrained torchvision classifier to ONNX for netvis.

Usage: python3 models/export_torchvision.py squeezenet1_1 --out models/squeezenet1_1.onnx

Needs torch and torchvision (pretrained weights are downloaded by torchvision on first use).
The export has input "input" [batch, 3, size, size] with a dynamic batch and output "logits"
[batch, classes] holding raw scores, which is what netvis' model descriptors expect.
"""
import argparse

import torch
import torchvision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arch", help="torchvision.models name, e.g. squeezenet1_1")
    parser.add_argument("--out", required=True, help="output .onnx path")
    parser.add_argument("--size", type=int, default=224, help="input height and width")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()

    model = getattr(torchvision.models, args.arch)(weights="DEFAULT").eval()
    example = torch.zeros(1, 3, args.size, args.size)
    torch.onnx.export(
        model,
        example,
        args.out,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=args.opset,
        do_constant_folding=True,
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

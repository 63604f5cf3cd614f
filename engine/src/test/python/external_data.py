#!/usr/bin/env python3
"""Writes a model with its tensors in external data files, by the onnx package's own writer, for ExternalDataTest.

Usage: external_data.py MODEL.onnx OUT_DIR

Writes three copies of MODEL, each NAME.onnx (NAME: MODEL's file name without .onnx) in its own directory:
  OUT_DIR/one/    every tensor of 1 KiB or more in one file, NAME.onnx.data (PyTorch's exporter writes this form)
  OUT_DIR/split/  every tensor, Constant nodes' values too, each in a file of its own
  OUT_DIR/sub/    every tensor of 1 KiB or more in weights/NAME.data, a subdirectory of the model's
"""
import os
import sys

import onnx


def main():
    source, out = sys.argv[1], sys.argv[2]
    name = os.path.basename(source)[: -len(".onnx")]
    forms = {
        "one": dict(all_tensors_to_one_file=True, location=name + ".onnx.data", size_threshold=1024),
        "split": dict(all_tensors_to_one_file=False, size_threshold=0, convert_attribute=True),
        "sub": dict(all_tensors_to_one_file=True, location="weights/" + name + ".data", size_threshold=1024),
    }
    for form, options in forms.items():
        model = onnx.load(source)
        os.makedirs(os.path.join(out, form, "weights"), exist_ok=True)
        onnx.save_model(model, os.path.join(out, form, name + ".onnx"), save_as_external_data=True, **options)


if __name__ == "__main__":
    main()

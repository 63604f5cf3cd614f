"""The cases file the Java reference tests write: one case a line, `ID KIND [NAME=VALUE ...]`."""
import os

import numpy as np


def parse(value):
    """A number as the float32 attribute the ONNX operator holds, else the text."""
    try:
        return float(np.float32(value))
    except ValueError:
        return value


def cases(directory):
    """(id, kind, parameters) for each line of DIRECTORY/cases.txt."""
    for line in open(os.path.join(directory, "cases.txt")):
        fields = line.split()
        if fields:
            yield fields[0], fields[1], {k: parse(v) for k, v in (f.split("=", 1) for f in fields[2:])}

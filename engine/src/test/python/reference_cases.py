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


def save_gradients(directory, network):
    """For each case, d/dx sum(ct * network(kind, x, weights, params)) by autograd in float32 and float64,
    saved as ID_f32.npy and ID_f64.npy. Reads ID_x.npy, ID_ct.npy and the case's weights, ID_NAME.npy as
    the test's SavedWeights writes them (a file belongs to the longest case id it starts with)."""
    import torch

    listed = list(cases(directory))
    ids = sorted((case for case, _, _ in listed), key=len, reverse=True)
    weights_of = {case: {} for case in ids}
    for name in os.listdir(directory):
        owner = next((case for case in ids if name.startswith(case + "_") and name.endswith(".npy")), None)
        key = name[len(owner) + 1:-4] if owner else None
        if owner and key not in ("x", "ct", "f32", "f64"):
            weights_of[owner][key] = np.load(os.path.join(directory, name))
    torch.set_num_threads(1)
    for case, kind, params in listed:
        x = np.load(os.path.join(directory, f"{case}_x.npy"))
        ct = np.load(os.path.join(directory, f"{case}_ct.npy"))
        for dtype, suffix in ((torch.float32, "f32"), (torch.float64, "f64")):
            xt = torch.tensor(x, dtype=dtype, requires_grad=True)
            weights = {name: torch.tensor(a, dtype=dtype) for name, a in weights_of[case].items()}
            y = network(kind, xt, weights, params).reshape(x.shape[0], -1)
            (grad,) = torch.autograd.grad(y, xt, torch.tensor(ct, dtype=dtype))
            np.save(os.path.join(directory, f"{case}_{suffix}.npy"), grad.detach().numpy())

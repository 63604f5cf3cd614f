"""A network's input gradient by autograd in float32 and float64, as the Java reference tests read it."""
import os

import numpy as np
import torch


def save_gradients(directory, scores_of):
    """Writes grad_f32.npy, grad_f64.npy (d/dx sum(ct * scores)) and scores_f64.npy into DIRECTORY.

    scores_of(x, t) gives the scores of x (float32 or float64, with requires_grad); t(name) loads
    DIRECTORY/name.npy in x's dtype. DIRECTORY holds x.npy and ct.npy.
    """
    torch.set_num_threads(1)
    load = lambda name: np.load(os.path.join(directory, name + ".npy"))
    for dtype, suffix in ((torch.float32, "f32"), (torch.float64, "f64")):
        t = lambda name: torch.tensor(load(name), dtype=dtype)
        x = torch.tensor(load("x"), dtype=dtype, requires_grad=True)
        scores = scores_of(x, t)
        (grad,) = torch.autograd.grad(scores, x, t("ct"))
        np.save(os.path.join(directory, f"grad_{suffix}.npy"), grad.detach().numpy())
        if dtype == torch.float64:
            np.save(os.path.join(directory, "scores_f64.npy"), scores.detach().numpy())

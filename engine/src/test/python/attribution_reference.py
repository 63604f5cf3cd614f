#!/usr/bin/env python3
"""Independent PyTorch references for netvis' attribution tests, written from the methods' published
definitions (not Captum, which these machines cannot install), with autograd in float64 and float32.

Usage: attribution_reference.py MODEL.onnx INPUTS.npy LABELS.npy OUT_DIR METHOD [METHOD ...]

The model is torchvision's squeezenet1_1 with the ONNX file's initializers as weights. For each
METHOD it writes OUT_DIR/METHOD_f64.npy and OUT_DIR/METHOD_f32.npy (float64 and float32 runs of the
same computation), plus extra arrays some methods have (the IG convergence delta, Grad-CAM at the
layer's resolution, two seeds of SmoothGrad, LRP's relevance sum minus the score, the layer methods'
convergence deltas); GradientSHAP, infidelity,
sensitivity-max, Shapley value sampling, KernelSHAP and LIME read the draws netvis made (infidelity its maps, feature
ablation and neuron feature ablation its mask) from OUT_DIR.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
import torchvision
from onnx import numpy_helper

GRAD_CAM_LAYER = 12  # features[12]: the last Fire module, '/features/features.12/Concat_output_0'
# The tests use the same settings (smaller than the defaults where float64 PyTorch on two cores is slow).


def load_model(path, dtype):
    model = torchvision.models.squeezenet1_1()
    graph = onnx.load(path).graph
    state = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    model.load_state_dict(state, strict=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(dtype)


def target_grad(model, x, labels):
    x = x.clone().requires_grad_(True)
    out = model(x)
    score = out[torch.arange(len(labels)), labels].sum()
    (g,) = torch.autograd.grad(score, x)
    return g, out.detach()


def input_x_gradient(model, x, labels, out):
    g, _ = target_grad(model, x, labels)
    return {"": (x * g)}


def ig_rule(method, n):
    if method == "gausslegendre":
        points, weights = np.polynomial.legendre.leggauss(n)
        return 0.5 * (points + 1), 0.5 * weights
    if method == "riemann_trapezoid":
        return np.linspace(0, 1, n), np.array([0.5] + [1.0] * (n - 2) + [0.5]) / (n - 1)
    offset = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}[method]
    return (np.arange(n) + offset) / n, np.full(n, 1.0 / n)


def integrated_gradients(model, x, labels, method, steps=50):
    baseline = torch.zeros_like(x)
    alphas, weights = ig_rule(method, steps)
    a = torch.tensor(alphas, dtype=x.dtype).view(-1, 1, 1, 1)
    w = torch.tensor(weights, dtype=x.dtype).view(-1, 1, 1, 1)
    total = torch.zeros_like(x)
    for i in range(len(labels)):
        # All points of one image's path in one batch.
        points = baseline[i:i + 1] + a * (x[i:i + 1] - baseline[i:i + 1])
        g, _ = target_grad(model, points, labels[i].repeat(len(alphas)))
        total[i] = (w * g).sum(0)
    attributions = (x - baseline) * total
    with torch.no_grad():
        idx = torch.arange(len(labels))
        end = model(x)[idx, labels]
        start = model(baseline)[idx, labels]
    delta = attributions.flatten(1).sum(1) - (end - start)
    return {"": attributions, "_delta": delta}


def grad_cam_parts(model, x, labels):
    store = {}

    def hook(module, inputs, output):
        output.retain_grad()
        store["a"] = output

    handle = model.features[GRAD_CAM_LAYER].register_forward_hook(hook)
    x = x.clone().requires_grad_(True)
    out = model(x)
    out[torch.arange(len(labels)), labels].sum().backward()
    handle.remove()
    a = store["a"].detach()
    g = store["a"].grad
    cam = F.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(1, keepdim=True))
    return cam


def grad_cam(model, x, labels):
    cam = grad_cam_parts(model, x, labels)
    up = F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)
    return {"": up, "_layer": cam}


class GuidedRelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad.clamp(min=0) * (x > 0).to(grad.dtype)


class GuidedReluModule(torch.nn.Module):
    def forward(self, x):
        return GuidedRelu.apply(x)


def guided(model):
    """The model with every nn.ReLU passing only positive gradients where its input was positive."""
    for name, child in model.named_children():
        if isinstance(child, torch.nn.ReLU):
            setattr(model, name, GuidedReluModule())
        else:
            guided(child)
    return model


def guided_backprop(model_path, dtype, x, labels):
    model = guided(load_model(model_path, dtype))
    g, _ = target_grad(model, x, labels)
    return {"": g}


def occlusion(model, x, labels, window=(3, 48, 48), strides=(3, 24, 24)):
    n, c, h, w = x.shape
    dims = (c, h, w)
    counts = [int(np.ceil((d - k) / s)) + 1 for d, k, s in zip(dims, window, strides)]
    idx = torch.arange(n)
    windows = [tuple(slice(i * s, min(d, i * s + k)) for i, s, d, k in zip((ci, yi, xi), strides, dims, window))
               for ci in range(counts[0]) for yi in range(counts[1]) for xi in range(counts[2])]
    with torch.no_grad():
        original = model(x)[idx, labels]
        total = torch.zeros_like(x)
        covered = torch.zeros_like(x[0])
        for sl in windows:
            covered[sl] += 1
        for i in range(n):
            for start in range(0, len(windows), 64):
                chunk = windows[start:start + 64]
                occluded = x[i:i + 1].repeat(len(chunk), 1, 1, 1)
                for j, sl in enumerate(chunk):
                    occluded[(j,) + sl] = 0
                drops = original[i] - model(occluded)[:, labels[i]]
                for j, sl in enumerate(chunk):
                    total[(i,) + sl] += drops[j]
    return {"": total / covered}


def smoothgrad(model, x, labels, seed, samples=10, stdev=0.3):
    """SmoothGrad of |gradient|: the mean over noisy copies x + N(0, stdev^2)."""
    gen = torch.Generator().manual_seed(seed)
    acc = torch.zeros_like(x)
    for i in range(len(labels)):
        noisy = x[i:i + 1] + stdev * torch.randn((samples,) + x.shape[1:], generator=gen, dtype=torch.float64).to(x.dtype)
        g, _ = target_grad(model, noisy, labels[i].repeat(samples))
        acc[i] = g.abs().mean(0)
    return acc


def shap_draws(out_dir, method, dtype):
    """The draws netvis made for a GradientSHAP method (the test writes them): x' and b, (n, s, C, H, W),
    and the points a, (n, s)."""
    def load(name):
        return torch.from_numpy(np.load(os.path.join(out_dir, f"{method}_{name}.npy"))).to(dtype)

    return load("noisy"), load("base"), load("alphas")


def gradient_shap(model, x, labels, out_dir):
    """GradientSHAP from its definition, on the draws netvis made: per image the mean over draws of
    grad F(b + a (x' - b)) * (x' - b), and the mean per-draw convergence delta
    sum(attribution) - (F(x') - F(b))."""
    noisy, base, alphas = shap_draws(out_dir, "gradient-shap", x.dtype)
    n, s = alphas.shape
    attributions = torch.zeros_like(x)
    delta = torch.zeros(n, dtype=x.dtype)
    for i in range(n):
        difference = noisy[i] - base[i]
        points = base[i] + alphas[i].view(-1, 1, 1, 1) * difference
        g, _ = target_grad(model, points, labels[i].repeat(s))
        per_draw = g * difference
        attributions[i] = per_draw.mean(0)
        with torch.no_grad():
            gap = model(noisy[i])[:, labels[i]] - model(base[i])[:, labels[i]]
        delta[i] = (per_draw.flatten(1).sum(1) - gap).mean()
    return {"": attributions, "_delta": delta}


def infidelity(model, x, labels, out_dir):
    """Yeh et al.'s infidelity, as Captum computes it, on the perturbations netvis drew (the test writes
    them and the maps): per image and map, the mean over perturbations I of (I . map - (F(x) - F(x - I)))^2,
    and the same with the map scaled by the beta that minimizes it. Columns: the map and the one-channel
    map, each plain then normalized."""
    perturbations = torch.from_numpy(np.load(os.path.join(out_dir, "infidelity_perturbations.npy"))).to(x.dtype)
    maps = [torch.from_numpy(np.load(os.path.join(out_dir, f"infidelity_{name}.npy"))).to(x.dtype)
            for name in ("map", "map1")]
    n, s = perturbations.shape[:2]
    out = torch.zeros(n, 4, dtype=x.dtype)
    with torch.no_grad():
        for i in range(n):
            at_input = model(x[i:i + 1])[0, labels[i]]
            diffs = at_input - model(x[i:i + 1] - perturbations[i])[:, labels[i]]
            for m, attribution in enumerate(maps):
                dots = (perturbations[i] * attribution[i:i + 1]).flatten(1).sum(1)
                out[i, 2 * m] = ((dots - diffs) ** 2).mean()
                beta = (dots * diffs).sum() / (dots ** 2).sum()
                out[i, 2 * m + 1] = ((beta * dots - diffs) ** 2).mean()
    return {"": out}


def sensitivity_max(model, x, labels, out_dir):
    """Captum's sensitivity_max of saliency (|gradient|) on the perturbations netvis drew:
    max over d of ||e(x + d) - e(x)||_F / ||e(x)||_F."""
    perturbations = torch.from_numpy(np.load(os.path.join(out_dir, "sensitivity-max_perturbations.npy"))).to(x.dtype)
    n, s = perturbations.shape[:2]
    out = torch.zeros(n, dtype=x.dtype)
    for i in range(n):
        g, _ = target_grad(model, x[i:i + 1], labels[i:i + 1])
        e = g.abs()
        moved, _ = target_grad(model, x[i:i + 1] + perturbations[i], labels[i].repeat(s))
        out[i] = ((moved.abs() - e).flatten(1).norm(dim=1) / e.norm()).max()
    return {"": out}


EPS = 1e-10  # Captum's DeepLift eps


class RescaleReLU(torch.autograd.Function):
    """DeepLIFT's rescale rule on a doubled batch (inputs, then references): the gradient times
    (y - y') / (x - x'), the same for both halves; the input half's gradient where |x - x'| < eps."""

    @staticmethod
    def forward(ctx, x):
        y = torch.relu(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        xa, xb = x.chunk(2)
        ya, yb = y.chunk(2)
        d_in, d_out = xa - xb, ya - yb
        ga = g.chunk(2)[0]
        row = torch.where(d_in.abs() < EPS, ga * (xa > 0).to(g.dtype), ga * d_out / d_in)
        return torch.cat([row, row])


class RescaleMaxPool(torch.autograd.Function):
    """Captum's DeepLift max-pool rule with the winners' shares added up (not max_unpool's overwrite):
    with m = max(y, y'), g (m - y') at the input half's winners plus g (y - m) at the reference half's,
    over x - x'; the input half's max-pool gradient where |x - x'| < eps."""

    @staticmethod
    def forward(ctx, x, kernel, stride, ceil_mode):
        y, idx = F.max_pool2d(x, kernel, stride, ceil_mode=ceil_mode, return_indices=True)
        ctx.save_for_backward(x, y, idx)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y, idx = ctx.saved_tensors
        rows, c, h, w = x.shape

        def put(v):
            out = torch.zeros(rows, c, h * w, dtype=v.dtype)
            return out.scatter_add_(2, idx.flatten(2), v.flatten(2)).view(rows, c, h, w)

        ya, yb = y.chunk(2)
        top = torch.max(ya, yb)
        ua, ub = put(g * torch.cat([top - yb, ya - top])).chunk(2)
        xa, xb = x.chunk(2)
        d_in = xa - xb
        row = torch.where(d_in.abs() < EPS, put(g).chunk(2)[0], (ua + ub) / d_in)
        return torch.cat([row, row]), None, None, None


class Rescaled(torch.nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        if isinstance(self.module, torch.nn.ReLU):
            return RescaleReLU.apply(x)
        m = self.module
        return RescaleMaxPool.apply(x, m.kernel_size, m.stride, m.ceil_mode)


def rescaled(model):
    """The model with every ReLU and max pool module taking DeepLIFT's rescale rule backwards."""
    def swap(parent):
        for name, child in parent.named_children():
            if isinstance(child, (torch.nn.ReLU, torch.nn.MaxPool2d)):
                setattr(parent, name, Rescaled(child))
            else:
                swap(child)

    swap(model)
    return model


def deeplift(model_path, dtype, x, labels):
    """DeepLIFT (rescale) of each image against a zero baseline: (x - 0) times the input half's
    gradient of both halves' target scores, with every ReLU and max pool module rescaled."""
    model = rescaled(load_model(model_path, dtype))
    baseline = torch.zeros_like(x)
    n = len(labels)
    pair = torch.cat([x, baseline]).requires_grad_(True)
    out = model(pair)
    score = out[torch.arange(2 * n), torch.cat([labels, labels])].sum()
    (g,) = torch.autograd.grad(score, pair)
    attributions = (x - baseline) * g[:n]
    with torch.no_grad():
        delta = attributions.flatten(1).sum(1) - (out[torch.arange(n), labels] - out[n + torch.arange(n), labels])
    return {"": attributions, "_delta": delta}


# LRP's two settings in the tests, by module: (rule, epsilon, gamma, zero_bias) for features[i] or classifier.
def lrp_rule_epsilon(block, index):
    return ("epsilon", 0.25, 0.0, False)


def lrp_rule_composite(block, index):
    if block == "features" and index <= 4:
        return ("gamma", 1e-9, 0.25, True)
    if block == "features":
        return ("alpha1_beta0", 1e-9, 0.0, True)
    return ("epsilon", 0.1, 0.0, False)


def lrp_rule_zb(block, index):
    """The composite netvis' attributions config runs: z^B at the first layer, gamma without biases for
    features[1] to [4], epsilon 0.25 above, near 0 for the classifier."""
    if block == "features" and index == 0:
        return ("zb", 1e-9, 0.0, False)
    if block == "features" and index <= 4:
        return ("gamma", 1e-9, 0.25, True)
    if block == "features":
        return ("epsilon", 0.25, 0.0, False)
    return ("epsilon", 1e-9, 0.0, False)


# The model input's bounds for z^B: pixels 0 and 1 through ImageNet's normalization.
PIXEL_LOW = ((0 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225])).view(1, 3, 1, 1)
PIXEL_HIGH = ((1 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225])).view(1, 3, 1, 1)


def lrp_layer(layer, a, relevance, rule):
    """One layer's relevance rule (Bach et al. 2015; Montavon et al. 2019), by the gradient:
    z = layer(a) with the rule's weights, s = R / (z + eps sign(z)) (sign(0) = 1), R_a = a * dz/da^T s."""
    kind, eps, gamma, zero_bias = rule
    a = a.detach().requires_grad_(True)
    if kind == "zb":
        # z^B (Montavon et al. 2017): z = (w a + b) - w+ l - w- h, R_a = a w^T s - l w+^T s - h w-^T s.
        low = PIXEL_LOW.to(a.dtype).expand_as(a).clone().requires_grad_(True)
        high = PIXEL_HIGH.to(a.dtype).expand_as(a).clone().requires_grad_(True)
        w = layer.weight
        conv = lambda t, weights, bias: F.conv2d(t, weights, bias, layer.stride, layer.padding, layer.dilation,
                                                 layer.groups)
        z = conv(a, w, layer.bias) - conv(low, w.clamp(min=0), None) - conv(high, w.clamp(max=0), None)
        sign = torch.where(z < 0, -torch.ones_like(z), torch.ones_like(z))
        s = (relevance / (z + eps * sign)).detach()
        ca, cl, ch = torch.autograd.grad((z * s).sum(), (a, low, high))
        return (a * ca + low * cl + high * ch).detach()
    if isinstance(layer, torch.nn.Conv2d):
        w, b = layer.weight, layer.bias
        if kind == "gamma":
            w = w + gamma * w.clamp(min=0)
        elif kind == "alpha1_beta0":
            w = w.clamp(min=0)
        if zero_bias and kind in ("gamma", "alpha1_beta0"):
            b = torch.zeros_like(b)
        z = F.conv2d(a, w, b, layer.stride, layer.padding, layer.dilation, layer.groups)
    else:  # the pools: no weights
        z = layer(a)
    sign = torch.where(z < 0, -torch.ones_like(z), torch.ones_like(z))
    s = (relevance / (z + eps * sign)).detach()
    (c,) = torch.autograd.grad((z * s).sum(), a)
    return (a * c).detach()


def lrp(model, x, labels, rule_for, stop_at=None):
    """LRP of SqueezeNet 1.1 from the target's score (Captum's LRP): relevance starts as the score at
    the target logit, passes each ReLU and the dropout unchanged, and each convolution and pool by its
    rule; a Fire module's concatenation splits it, its squeeze output sums what both expands send. With
    stop_at, the relevance at the output of features[stop_at] (Captum's LayerLRP)."""
    acts = []  # (block, index, module, input) in forward order
    h = x
    for block in ("features", "classifier"):
        for index, module in enumerate(getattr(model, block)):
            acts.append((block, index, module, h))
            h = module(h)
    logits = torch.flatten(h, 1)
    n = len(labels)
    relevance = torch.zeros_like(h)
    relevance[torch.arange(n), labels] = logits[torch.arange(n), labels].reshape(n, 1, 1)
    for block, index, module, a in reversed(acts):
        if block == "features" and index == stop_at:
            break
        rule = rule_for(block, index)
        if isinstance(module, (torch.nn.ReLU, torch.nn.Dropout)):
            continue
        if isinstance(module, torchvision.models.squeezenet.Fire):
            s = module.squeeze_activation(module.squeeze(a))
            split = module.expand1x1.out_channels
            from_1x1 = lrp_layer(module.expand1x1, s, relevance[:, :split], rule)
            from_3x3 = lrp_layer(module.expand3x3, s, relevance[:, split:], rule)
            relevance = lrp_layer(module.squeeze, a, from_1x1 + from_3x3, rule)
        else:
            relevance = lrp_layer(module, a, relevance, rule)
    with torch.no_grad():
        delta = relevance.flatten(1).sum(1) - logits[torch.arange(n), labels]
    return {"": relevance, "_delta": delta}


LRP_SETTINGS = {"lrp-epsilon": lrp_rule_epsilon, "lrp-composite": lrp_rule_composite, "lrp-zb": lrp_rule_zb}


LAYER_INDEX = 7  # features[7], a Fire module's output: '/features/features.7/Concat_output_0', (N, 256, 27, 27)
LAYER_STEPS = 16  # the layer methods' n_steps in the tests (Captum's default is 50)


def layer_grad(model, x, labels, replace=None, layer_index=LAYER_INDEX):
    """The layer's output A and the gradient of each image's target score with respect to it; with
    replace, the layer's output is replace while the rest of the model reads x (a forward hook that
    returns a new output, as Captum's layer integrated gradients sets it)."""
    store = {}

    def hook(module, inputs, output):
        a = (output if replace is None else replace).detach().requires_grad_(True)
        store["a"] = a
        return a

    handle = model.features[layer_index].register_forward_hook(hook)
    try:
        out = model(x)
    finally:
        handle.remove()
    (g,) = torch.autograd.grad(out[torch.arange(len(labels)), labels].sum(), store["a"])
    return store["a"].detach(), g


def score_difference(model, x, labels):
    """F(x) - F(0) for each image's target."""
    with torch.no_grad():
        idx = torch.arange(len(labels))
        return model(x)[idx, labels] - model(torch.zeros_like(x))[idx, labels]


def layer_gradient_x_activation(model, x, labels):
    """Captum's LayerGradientXActivation: A * dF/dA."""
    a, g = layer_grad(model, x, labels)
    return {"": a * g}


def internal_influence(model, x, labels):
    """Leino et al.'s internal influence, zero baseline: sum_k w_k dF/dA(a_k x)."""
    alphas, weights = ig_rule("gausslegendre", LAYER_STEPS)
    a = torch.tensor(alphas, dtype=x.dtype).view(-1, 1, 1, 1)
    w = torch.tensor(weights, dtype=x.dtype).view(-1, 1, 1, 1)
    out = []
    for i in range(len(labels)):
        _, g = layer_grad(model, a * x[i:i + 1], labels[i].repeat(len(alphas)))
        out.append((w * g).sum(0))
    return {"": torch.stack(out)}


def layer_conductance(model, x, labels):
    """Dhamdhere et al.'s conductance, zero baseline, at the n_steps + 1 Gauss-Legendre points a_k:
    sum_k dF/dA(x_k) (A(x_{k+1}) - A(x_k)), x_k = a_k x."""
    alphas, _ = ig_rule("gausslegendre", LAYER_STEPS + 1)
    a = torch.tensor(alphas, dtype=x.dtype).view(-1, 1, 1, 1)
    out = []
    for i in range(len(labels)):
        act, g = layer_grad(model, a * x[i:i + 1], labels[i].repeat(len(alphas)))
        out.append((g[:-1] * (act[1:] - act[:-1])).sum(0))
    attributions = torch.stack(out)
    return {"": attributions, "_delta": attributions.flatten(1).sum(1) - score_difference(model, x, labels)}


def layer_integrated_gradients(model, x, labels):
    """Integrated gradients in the layer's space, zero baseline: (A(x) - A(0)) sum_k w_k dF/dA at
    A(0) + a_k (A(x) - A(0)), the rest of the model reading x."""
    alphas, weights = ig_rule("gausslegendre", LAYER_STEPS)
    a = torch.tensor(alphas, dtype=x.dtype).view(-1, 1, 1, 1)
    w = torch.tensor(weights, dtype=x.dtype).view(-1, 1, 1, 1)
    ax, _ = layer_grad(model, x, labels)
    ab, _ = layer_grad(model, torch.zeros_like(x), labels)
    out = []
    for i in range(len(labels)):
        k = len(alphas)
        points = ab[i:i + 1] + a * (ax[i:i + 1] - ab[i:i + 1])
        _, g = layer_grad(model, x[i:i + 1].repeat(k, 1, 1, 1), labels[i].repeat(k), replace=points)
        out.append((ax[i] - ab[i]) * (w * g).sum(0))
    attributions = torch.stack(out)
    return {"": attributions, "_delta": attributions.flatten(1).sum(1) - score_difference(model, x, labels)}


def layer_deeplift(model_path, dtype, x, labels):
    """Captum's LayerDeepLift at the layer, zero baseline: (A(x) - A(0)) times the input half's gradient
    at the layer of both halves' target scores, every ReLU and max pool module rescaled."""
    model = rescaled(load_model(model_path, dtype))
    n = len(labels)
    a, g = layer_grad(model, torch.cat([x, torch.zeros_like(x)]), torch.cat([labels, labels]))
    attributions = (a[:n] - a[n:]) * g[:n]
    delta = attributions.flatten(1).sum(1) - score_difference(load_model(model_path, dtype), x, labels)
    return {"": attributions, "_delta": delta}


def zeros_and_black(x):
    """The two baselines the DeepLIFT SHAP tests take: zeros in the normalized space, and black pixels."""
    return [torch.zeros_like(x), PIXEL_LOW.to(x.dtype).expand_as(x).clone()]


def layer_deeplift_shap(model_path, dtype, x, labels):
    """Captum's LayerDeepLiftShap over zeros and black: layer DeepLIFT against each, averaged; the delta
    sum - (F(x) - mean F(b))."""
    model = rescaled(load_model(model_path, dtype))
    plain = load_model(model_path, dtype)
    n = len(labels)
    references = zeros_and_black(x)
    attributions = 0
    start = 0
    for b in references:
        a, g = layer_grad(model, torch.cat([x, b]), torch.cat([labels, labels]))
        attributions = attributions + (a[:n] - a[n:]) * g[:n] / len(references)
        with torch.no_grad():
            start = start + plain(b)[torch.arange(n), labels] / len(references)
    with torch.no_grad():
        end = plain(x)[torch.arange(n), labels]
    return {"": attributions, "_delta": attributions.flatten(1).sum(1) - (end - start)}


def layer_activation(model, x, labels):
    """Captum's LayerActivation: A."""
    return {"": layer_grad(model, x, labels)[0]}


def layer_gradient_shap(model, x, labels, out_dir):
    """Captum's LayerGradientShap from its definition, on the draws netvis made: per image the mean over
    draws of dF/dA(b + a (x' - b)) * (A(x') - A(b)), and the mean per-draw delta
    sum(attribution) - (F(x') - F(b))."""
    noisy, base, alphas = shap_draws(out_dir, "layer-gradient-shap", x.dtype)
    n, s = alphas.shape
    attributions, deltas = [], []
    for i in range(n):
        points = base[i] + alphas[i].view(-1, 1, 1, 1) * (noisy[i] - base[i])
        target = labels[i].repeat(s)
        _, g = layer_grad(model, points, target)
        at_noisy, _ = layer_grad(model, noisy[i], target)
        at_base, _ = layer_grad(model, base[i], target)
        per_draw = g * (at_noisy - at_base)
        attributions.append(per_draw.mean(0))
        with torch.no_grad():
            gap = model(noisy[i])[:, labels[i]] - model(base[i])[:, labels[i]]
        deltas.append((per_draw.flatten(1).sum(1) - gap).mean())
    return {"": torch.stack(attributions), "_delta": torch.stack(deltas)}


LAYER_METHODS = {"layer-activation": layer_activation,
                 "layer-gradient-x-activation": layer_gradient_x_activation, "internal-influence": internal_influence,
                 "layer-conductance": layer_conductance, "layer-integrated-gradients": layer_integrated_gradients}


NEURON = (51, 13, 13)  # a unit of features[7]'s output, (channel, row, column), positive on all eight photos


def neuron_grad(model, x, layer_index=LAYER_INDEX, neuron=NEURON):
    """The unit's value in each image and its gradient with respect to x."""
    store = {}

    def hook(module, inputs, output):
        store["a"] = output

    x = x.clone().requires_grad_(True)
    handle = model.features[layer_index].register_forward_hook(hook)
    try:
        model(x)
    finally:
        handle.remove()
    unit = store["a"][(slice(None),) + neuron]
    (g,) = torch.autograd.grad(unit.sum(), x)
    return unit.detach(), g


def neuron_gradient(model, x, labels):
    """Captum's NeuronGradient: d unit / dx."""
    return {"": neuron_grad(model, x)[1]}


def neuron_guided_backprop(model_path, dtype, x, labels):
    """Captum's NeuronGuidedBackprop: the unit's gradient through guided ReLUs."""
    return {"": neuron_grad(guided(load_model(model_path, dtype)), x)[1]}


def neuron_integrated_gradients(model, x, labels):
    """Integrated gradients of the unit's value, zero baseline, 16 Gauss-Legendre points."""
    alphas, weights = ig_rule("gausslegendre", LAYER_STEPS)
    a = torch.tensor(alphas, dtype=x.dtype).view(-1, 1, 1, 1)
    w = torch.tensor(weights, dtype=x.dtype).view(-1, 1, 1, 1)
    out = []
    for i in range(len(labels)):
        _, g = neuron_grad(model, a * x[i:i + 1])
        out.append(x[i] * (w * g).sum(0))
    attributions = torch.stack(out)
    end, _ = neuron_grad(model, x)
    start, _ = neuron_grad(model, torch.zeros_like(x))
    return {"": attributions, "_delta": attributions.flatten(1).sum(1) - (end - start)}


def neuron_deeplift(model_path, dtype, x, labels):
    """Captum's NeuronDeepLift, zero baseline: x times the input half's gradient of the unit in both
    halves, every ReLU and max pool module rescaled; the delta sum - (unit(x) - unit(0))."""
    model = rescaled(load_model(model_path, dtype))
    n = len(labels)
    unit, g = neuron_grad(model, torch.cat([x, torch.zeros_like(x)]))
    attributions = x * g[:n]
    return {"": attributions, "_delta": attributions.flatten(1).sum(1) - (unit[:n] - unit[n:])}


def neuron_deeplift_shap(model_path, dtype, x, labels):
    """Captum's NeuronDeepLiftShap over zeros and black: neuron DeepLIFT against each, averaged; the delta
    sum - (unit(x) - mean unit(b))."""
    model = rescaled(load_model(model_path, dtype))
    n = len(labels)
    references = zeros_and_black(x)
    attributions = 0
    start = 0
    for b in references:
        unit, g = neuron_grad(model, torch.cat([x, b]))
        attributions = attributions + (x - b) * g[:n] / len(references)
        start = start + unit[n:] / len(references)
    end = unit[:n]
    return {"": attributions, "_delta": attributions.flatten(1).sum(1) - (end - start)}


def neuron_gradient_shap(model, x, labels, out_dir):
    """Captum's NeuronGradientShap from its definition, on the draws netvis made: per image the mean over
    draws of d unit / dx (b + a (x' - b)) * (x' - b), and the mean per-draw delta
    sum(attribution) - (unit(x') - unit(b))."""
    noisy, base, alphas = shap_draws(out_dir, "neuron-gradient-shap", x.dtype)
    n, s = alphas.shape
    attributions, deltas = [], []
    for i in range(n):
        difference = noisy[i] - base[i]
        _, g = neuron_grad(model, base[i] + alphas[i].view(-1, 1, 1, 1) * difference)
        per_draw = g * difference
        attributions.append(per_draw.mean(0))
        gap = neuron_grad(model, noisy[i])[0] - neuron_grad(model, base[i])[0]
        deltas.append((per_draw.flatten(1).sum(1) - gap).mean())
    return {"": torch.stack(attributions), "_delta": torch.stack(deltas)}


# Conductance needs a unit the score reads: unit (51, 13, 13) of features[7] is never the largest of its
# max-pool window, so the score's gradient there is 0; features[6] feeds features[7]'s convolutions.
CONDUCTANCE_LAYER_INDEX = 6
CONDUCTANCE_NEURON = (51, 13, 13)


def neuron_conductance(model, x, labels):
    """Captum's NeuronConductance, zero baseline, 16 points of its default rule, the trapezoid:
    x * sum_k w_k dF/d unit (a_k x) * d unit / dx (a_k x), F the label's score, at unit (51, 13, 13)
    of features[6]."""
    alphas, weights = ig_rule("riemann_trapezoid", LAYER_STEPS)
    a = torch.tensor(alphas, dtype=x.dtype).view(-1, 1, 1, 1)
    w = torch.tensor(weights, dtype=x.dtype).view(-1, 1, 1, 1)
    out = []
    for i in range(len(labels)):
        points = a * x[i:i + 1]
        _, layer_g = layer_grad(model, points, labels[i].repeat(len(alphas)), layer_index=CONDUCTANCE_LAYER_INDEX)
        through_unit = layer_g[(slice(None),) + CONDUCTANCE_NEURON].view(-1, 1, 1, 1)
        _, g = neuron_grad(model, points, CONDUCTANCE_LAYER_INDEX, CONDUCTANCE_NEURON)
        out.append(x[i] * (w * through_unit * g).sum(0))
    return {"": torch.stack(out)}


def feature_masks(out_dir):
    """The boolean (H, W) mask of each feature of the mask file the test writes, in ascending id order
    (netvis' feature f is the f-th smallest id)."""
    mask = torch.from_numpy(np.load(os.path.join(out_dir, "feature-ablation_mask.npy")))
    return [mask == feature for feature in torch.unique(mask)]


def paint(values, masks, like):
    """An image shaped as like, holding values[f] in every channel of feature f's pixels."""
    out = torch.zeros_like(like)
    for value, where in zip(values, masks):
        out[:, where] = value
    return out


def coalition_scores(model, image, label, masks, coalitions):
    """The images with each coalition's features and zeros elsewhere, and their scores of class label."""
    images = torch.zeros((len(coalitions),) + image.shape, dtype=image.dtype)
    for k, z in enumerate(coalitions):
        for on, where in zip(z, masks):
            if on > 0:
                images[k][:, where] = image[:, where]
    return images, model(images)[:, label]


def feature_ablation(model, x, labels, out_dir):
    """Captum's FeatureAblation from its definition, zero baseline: every value of a feature (the pixels
    of one id of the mask the test writes, every channel) gets F(x) - F(x with the feature set to 0)."""
    masks = feature_masks(out_dir)
    out = torch.zeros_like(x)
    with torch.no_grad():
        for i in range(len(labels)):
            copies = x[i:i + 1].repeat(len(masks), 1, 1, 1)
            for f, where in enumerate(masks):
                copies[f][:, where] = 0
            drop = model(x[i:i + 1])[0, labels[i]] - model(copies)[:, labels[i]]
            out[i] = paint(drop, masks, x[i])
    return {"": out}


def unit_values(model, x, layer_index=LAYER_INDEX, neuron=NEURON):
    """The unit's value in each image, by a forward pass with a hook on the layer."""
    store = {}

    def hook(module, inputs, output):
        store["a"] = output

    handle = model.features[layer_index].register_forward_hook(hook)
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    return store["a"][(slice(None),) + neuron]


def neuron_feature_ablation(model, x, labels, out_dir):
    """Captum's NeuronFeatureAblation from its definition, zero baseline: every value of a feature gets
    the unit's value at x less its value with the feature set to 0."""
    masks = feature_masks(out_dir)
    out = torch.zeros_like(x)
    for i in range(len(labels)):
        copies = x[i:i + 1].repeat(len(masks), 1, 1, 1)
        for f, where in enumerate(masks):
            copies[f][:, where] = 0
        drop = unit_values(model, x[i:i + 1])[0] - unit_values(model, copies)
        out[i] = paint(drop, masks, x[i])
    return {"": out}


def layer_feature_ablation(model, x, labels):
    """Captum's LayerFeatureAblation from its definition, per-channel layer mask, baseline 0: every unit of
    a channel of features[LAYER_INDEX] gets F(x) - F(x with the channel's output set to 0). SqueezeNet is a
    chain, so a forward hook that replaces the layer's output is the rest of the chain on the new output."""
    def rest(a):
        return torch.flatten(model.classifier(model.features[LAYER_INDEX + 1:](a)), 1)

    with torch.no_grad():
        activations = model.features[:LAYER_INDEX + 1](x)
        out = torch.zeros_like(activations)
        channels = activations.shape[1]
        for i in range(len(labels)):
            copies = activations[i:i + 1].repeat(channels + 1, 1, 1, 1)
            for c in range(channels):
                copies[c + 1, c] = 0
            scores = rest(copies)[:, labels[i]]
            out[i] = (scores[0] - scores[1:]).reshape(channels, 1, 1).expand_as(out[i])
    return {"": out}


def shapley_value_sampling(model, x, labels, out_dir):
    """Shapley value sampling from its definition, zero baseline, on the feature orders netvis drew
    (the test writes them, (N, samples, M)): for each order, the features added to the baseline one at a
    time, each credited its change of F."""
    masks = feature_masks(out_dir)
    orders = np.load(os.path.join(out_dir, "shapley-value-sampling_orders.npy"))
    n, samples, m = orders.shape
    out = torch.zeros_like(x)
    with torch.no_grad():
        for i in range(n):
            total = torch.zeros(m, dtype=x.dtype)
            for s in range(samples):
                states = [torch.zeros_like(x[i])]
                for f in orders[i, s]:
                    state = states[-1].clone()
                    state[:, masks[f]] = x[i][:, masks[f]]
                    states.append(state)
                scores = model(torch.stack(states))[:, labels[i]]
                for k, f in enumerate(orders[i, s]):
                    total[f] += scores[k + 1] - scores[k]
            out[i] = paint(total / samples, masks, x[i])
    return {"": out}


def kernel_shap(model, x, labels, out_dir):
    """KernelSHAP from its definition, zero baseline, on the coalitions netvis drew (the test writes them,
    (n, samples, M) for the first n images): the scores of the coalitions' images regressed on [1, z] by
    weighted least squares, weight 10^6 for the full and the empty coalition (the first two) and 1 else;
    each feature gets its coefficient."""
    masks = feature_masks(out_dir)
    coalitions = torch.from_numpy(np.load(os.path.join(out_dir, "kernel-shap_coalitions.npy"))).to(x.dtype)
    n, samples, m = coalitions.shape
    out = torch.zeros_like(x[:n])
    weights = torch.ones(samples, dtype=x.dtype)
    weights[:2] = 1e6
    root = weights.sqrt()[:, None]
    with torch.no_grad():
        for i in range(n):
            _, scores = coalition_scores(model, x[i], labels[i], masks, coalitions[i])
            design = torch.cat([torch.ones(samples, 1, dtype=x.dtype), coalitions[i]], dim=1)
            solution = torch.linalg.lstsq((root * design).double(), (root[:, 0] * scores).double()[:, None]).solution
            out[i] = paint(solution[1:, 0].to(x.dtype), masks, x[i])
    return {"": out}


def lasso(z, y, w, alpha, iterations=200000):
    """argmin (1 / (2 sum w)) sum w_i (y_i - b - z_i . beta)^2 + alpha |beta|_1 (the intercept b free), by
    accelerated proximal gradient (FISTA) on the weighted-centred problem, in float64."""
    z, y, w = z.double(), y.double(), w.double()
    w = w / w.sum()
    zc = z - (w[:, None] * z).sum(0)
    yc = y - (w * y).sum()
    gram = zc.T @ (w[:, None] * zc)
    step = 1 / torch.linalg.eigvalsh(gram).max()
    beta = torch.zeros(z.shape[1], dtype=torch.float64)
    momentum, t = beta.clone(), 1.0
    for _ in range(iterations):
        gradient = gram @ momentum - zc.T @ (w * yc)
        candidate = momentum - step * gradient
        following = torch.sign(candidate) * torch.clamp(candidate.abs() - step * alpha, min=0)
        t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
        momentum = following + (t - 1) / t_next * (following - beta)
        if torch.max((following - beta).abs()) < 1e-14:
            beta = following
            break
        beta, t = following, t_next
    return beta


def lime(model, x, labels, out_dir, alpha=0.01, kernel_width=1.0):
    """LIME with Captum's defaults, zero baseline, on the coalitions netvis drew ((n, samples, M), the first
    n images): each coalition's image weighted exp(-d^2 / (2 width^2)), d the cosine distance to the input,
    and a Lasso of the scores on the coalitions; each feature gets its coefficient."""
    masks = feature_masks(out_dir)
    coalitions = torch.from_numpy(np.load(os.path.join(out_dir, "lime_coalitions.npy"))).to(x.dtype)
    n = coalitions.shape[0]
    out = torch.zeros_like(x[:n])
    with torch.no_grad():
        for i in range(n):
            images, scores = coalition_scores(model, x[i], labels[i], masks, coalitions[i])
            distance = 1 - F.cosine_similarity(x[i].flatten()[None], images.flatten(1), dim=1)
            weights = torch.exp(-distance ** 2 / (2 * kernel_width ** 2))
            out[i] = paint(lasso(coalitions[i], scores, weights, alpha).to(x.dtype), masks, x[i])
    return {"": out}


def rise_kernel(klen=11, sigma=5.0):
    """scipy.ndimage.gaussian_filter of a centred impulse on a klen x klen grid (truncate 4, reflect),
    written out: the separable 1-D filter applied to the impulse along each axis."""
    radius = int(4.0 * sigma + 0.5)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()

    def reflect(i, n):
        period = 2 * n
        m = i % period
        return m if m < n else period - 1 - m

    impulse = np.zeros(klen)
    impulse[klen // 2] = 1
    line = np.array([sum(taps[j + radius] * impulse[reflect(p + j, klen)] for j in range(-radius, radius + 1))
                     for p in range(klen)])
    return np.outer(line, line)


def deletion_insertion(model, x, maps, pixels_per_step=1792):
    """RISE's deletion and insertion, with a stable descending pixel order; AUCs per image."""
    n, c, h, w = x.shape
    hw = h * w
    k = torch.tensor(rise_kernel(), dtype=x.dtype)
    kernel = torch.zeros(c, 1, 11, 11, dtype=x.dtype)
    for ch in range(c):
        kernel[ch, 0] = k
    steps = (hw + pixels_per_step - 1) // pixels_per_step
    aucs = np.zeros((n, 2))
    with torch.no_grad():
        blurred = F.conv2d(x, kernel, padding=5, groups=c)
        for i in range(n):
            predicted = int(model(x[i:i + 1]).argmax())
            order = np.argsort(-maps[i].reshape(-1), kind="stable")
            for kind, (start, finish) in enumerate(((x[i], torch.zeros_like(x[i])), (blurred[i], x[i]))):
                current = start.clone().reshape(c, hw)
                finish = finish.reshape(c, hw)
                batch = []
                for step in range(steps + 1):
                    batch.append(current.clone().reshape(c, h, w))
                    coords = order[step * pixels_per_step:(step + 1) * pixels_per_step]
                    current[:, coords] = finish[:, coords]
                probs = torch.softmax(model(torch.stack(batch)), dim=1)[:, predicted].numpy()
                aucs[i, kind] = (probs.sum() - probs[0] / 2 - probs[-1] / 2) / (len(probs) - 1)
    return torch.from_numpy(aucs)


def main():
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model_path, inputs_path, labels_path, out_dir = sys.argv[1:5]
    methods = sys.argv[5:]
    os.makedirs(out_dir, exist_ok=True)
    x64 = torch.from_numpy(np.load(inputs_path).astype(np.float64))
    labels = torch.from_numpy(np.load(labels_path).astype(np.int64))
    for dtype, suffix in ((torch.float64, "f64"), (torch.float32, "f32")):
        model = load_model(model_path, dtype)
        x = x64.to(dtype)
        for method in methods:
            if method == "input-x-gradient":
                result = input_x_gradient(model, x, labels, None)
            elif method.startswith("integrated-gradients-"):
                result = integrated_gradients(model, x, labels, method[len("integrated-gradients-"):])
            elif method == "gradient-shap":
                result = gradient_shap(model, x, labels, out_dir)
            elif method == "infidelity":
                result = infidelity(model, x, labels, out_dir)
            elif method == "sensitivity-max":
                result = sensitivity_max(model, x, labels, out_dir)
            elif method == "deeplift":
                result = deeplift(model_path, dtype, x, labels)
            elif method == "neuron-gradient":
                result = neuron_gradient(model, x, labels)
            elif method == "neuron-guided-backprop":
                result = neuron_guided_backprop(model_path, dtype, x, labels)
            elif method == "neuron-integrated-gradients":
                result = neuron_integrated_gradients(model, x, labels)
            elif method == "neuron-gradient-shap":
                result = neuron_gradient_shap(model, x, labels, out_dir)
            elif method == "layer-gradient-shap":
                result = layer_gradient_shap(model, x, labels, out_dir)
            elif method == "neuron-deeplift-shap":
                result = neuron_deeplift_shap(model_path, dtype, x, labels)
            elif method == "layer-deeplift-shap":
                result = layer_deeplift_shap(model_path, dtype, x, labels)
            elif method == "neuron-deeplift":
                result = neuron_deeplift(model_path, dtype, x, labels)
            elif method == "neuron-conductance":
                result = neuron_conductance(model, x, labels)
            elif method == "layer-deeplift":
                result = layer_deeplift(model_path, dtype, x, labels)
            elif method in LAYER_METHODS:
                result = LAYER_METHODS[method](model, x, labels)
            elif method in LRP_SETTINGS:
                result = lrp(model, x, labels, LRP_SETTINGS[method])
            elif method == "layer-lrp":
                result = lrp(model, x, labels, lrp_rule_epsilon, stop_at=LAYER_INDEX)
            elif method == "feature-ablation":
                result = feature_ablation(model, x, labels, out_dir)
            elif method == "neuron-feature-ablation":
                result = neuron_feature_ablation(model, x, labels, out_dir)
            elif method == "layer-feature-ablation":
                result = layer_feature_ablation(model, x, labels)
            elif method == "shapley-value-sampling":
                result = shapley_value_sampling(model, x, labels, out_dir)
            elif method == "kernel-shap":
                result = kernel_shap(model, x, labels, out_dir)
            elif method == "lime":
                result = lime(model, x, labels, out_dir)
            elif method == "grad-cam":
                result = grad_cam(model, x, labels)
            elif method == "guided-backprop":
                result = guided_backprop(model_path, dtype, x, labels)
            elif method == "guided-grad-cam":
                gb = guided_backprop(model_path, dtype, x, labels)[""]
                cam = grad_cam_parts(model, x, labels)
                result = {"": gb * F.interpolate(cam, size=x.shape[2:], mode="nearest")}
            elif method == "occlusion":
                result = occlusion(model, x, labels)
            elif method == "deletion-insertion":
                if dtype != torch.float64:
                    continue
                maps = np.load(os.path.join(out_dir, "deletion-insertion_map.npy"))
                result = {"_auc": deletion_insertion(model, x, maps)}
            elif method == "smoothgrad":
                if dtype != torch.float64:
                    continue
                result = {"_seed1": smoothgrad(model, x, labels, 1), "_seed2": smoothgrad(model, x, labels, 2)}
            else:
                raise SystemExit("unknown method " + method)
            for key, value in result.items():
                np.save(os.path.join(out_dir, f"{method}{key}_{suffix}.npy"), value.detach().numpy())
    print("wrote", out_dir)


if __name__ == "__main__":
    main()

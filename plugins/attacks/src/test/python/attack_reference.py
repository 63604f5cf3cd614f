#!/usr/bin/env python3
"""An independent float32 PyTorch implementation of FGSM, PGD (L-inf and L2), MI-FGSM, APGD, DeepFool and CW with
torchattacks 3.5's formulas, for netvis' attack tests (torchattacks itself cannot be installed on these
machines).

Usage: attack_reference.py MODEL.onnx PIXELS.npy LABELS.npy OUT_DIR
PIXELS are [0, 1] images (N, 3, H, W); the model (torchvision squeezenet1_1 with the ONNX file's weights)
normalizes inside with ImageNet's mean and std. Writes fgsm.npy, pgd_linf.npy, pgd_l2.npy, one PGD-L2
step in float32 and in float64, and both PGDs from a start moved by 1e-6 (PyTorch's own float32
sensitivity); mifgsm.npy and its run from the moved start; deepfool.npy and deepfool_steps.npy (10
candidate classes, the paper's code's and Foolbox's choice; torchattacks takes every class); cw.npy and
its run from the moved start; and, where the test wrote netvis' random starts (NAME_delta.npy), APGD in
three settings (L-inf with cross-entropy and with DLR, L2 with cross-entropy) from them, and from the moved
start; and, where the test wrote netvis' draws for the Square attack (square_*.npy), square.npy and
square_queries.npy, and the same for its L2 version (square_l2_*.npy).
"""
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
import torchvision
from onnx import numpy_helper

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


class Normalized(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net((x - MEAN.to(x.dtype)) / STD.to(x.dtype))


def load(path):
    net = torchvision.models.squeezenet1_1()
    state = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(path).graph.initializer}
    net.load_state_dict(state)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return Normalized(net)


def grad(model, x, labels):
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), labels, reduction="sum")
    (g,) = torch.autograd.grad(loss, x)
    return g


def fgsm(model, images, labels, eps=8 / 255):
    return torch.clamp(images + eps * grad(model, images, labels).sign(), 0, 1)


def pgd_linf(model, images, labels, eps=8 / 255, alpha=2 / 255, steps=10):
    adv = images.clone()
    for _ in range(steps):
        adv = adv + alpha * grad(model, adv, labels).sign()
        delta = torch.clamp(adv - images, min=-eps, max=eps)
        adv = torch.clamp(images + delta, 0, 1)
    return adv


def pgd_l2(model, images, labels, eps=1.0, alpha=0.2, steps=10):
    n = images.shape[0]
    adv = images.clone()
    for _ in range(steps):
        g = grad(model, adv, labels)
        g = g / (g.view(n, -1).norm(p=2, dim=1) + 1e-10).view(n, 1, 1, 1)
        adv = adv + alpha * g
        delta = adv - images
        factor = torch.min(eps / delta.view(n, -1).norm(p=2, dim=1), torch.ones(n, dtype=images.dtype))
        adv = torch.clamp(images + delta * factor.view(n, 1, 1, 1), 0, 1)
    return adv


def mifgsm(model, images, labels, eps=8 / 255, alpha=2 / 255, steps=10, decay=1.0):
    momentum = torch.zeros_like(images)
    adv = images.clone()
    for _ in range(steps):
        adv.requires_grad_(True)
        cost = F.cross_entropy(model(adv), labels)  # torchattacks' mean; the normalization drops the scale
        (g,) = torch.autograd.grad(cost, adv)
        g = g / torch.mean(torch.abs(g), dim=(1, 2, 3), keepdim=True)
        g = g + momentum * decay
        momentum = g
        adv = adv.detach() + alpha * g.sign()
        delta = torch.clamp(adv - images, min=-eps, max=eps)
        adv = torch.clamp(images + delta, min=0, max=1).detach()
    return adv


def deepfool(model, images, labels, steps=50, overshoot=0.02, candidates=10):
    """torchattacks' DeepFool, image by image, over the label and its candidates: the candidates most
    likely other classes at the start (torchattacks: every class)."""
    with torch.no_grad():
        start = model(images)
    advs, taken = [], []
    for i in range(len(images)):
        label = int(labels[i])
        order = [int(k) for k in torch.sort(-start[i], stable=True).indices if int(k) != label][:candidates]
        classes = [label] + order
        image = images[i:i + 1].clone()
        n = 0
        for _ in range(steps):
            image.requires_grad_(True)
            fs = model(image)[0]
            if int(torch.argmax(fs)) != label:
                break
            ws = torch.stack([torch.autograd.grad(fs[k], image, retain_graph=True)[0][0] for k in classes])
            image = image.detach()
            f_prime = fs[classes[1:]].detach() - fs[label].detach()
            w_prime = ws[1:] - ws[0]
            value = torch.abs(f_prime) / torch.norm(w_prime.flatten(1), p=2, dim=1)
            best = int(torch.argmin(value))
            delta = torch.abs(f_prime[best]) * w_prime[best] / (torch.norm(w_prime[best], p=2) ** 2)
            image = torch.clamp(image + (1 + overshoot) * delta, min=0, max=1).detach()
            n += 1
        advs.append(image.detach())
        taken.append(n)
    return torch.cat(advs), np.array(taken)


def cw(model, images, labels, c=1.0, kappa=0.0, steps=50, lr=0.01):
    """torchattacks' CW (untargeted), one image at a time: its early stop compares the batch's summed
    cost, which for a batch of one is the image's own, as netvis checks each image."""
    out = []
    for i in range(len(images)):
        x, y = images[i:i + 1], labels[i:i + 1]
        w = (0.5 * torch.log((1 + torch.clamp(x * 2 - 1, -1, 1)) / (1 - torch.clamp(x * 2 - 1, -1, 1)))).detach()
        w.requires_grad_(True)
        best = x.clone()
        best_l2 = 1e10 * torch.ones(1)
        prev = 1e10
        optimizer = torch.optim.Adam([w], lr=lr)
        for step in range(steps):
            adv = 0.5 * (torch.tanh(w) + 1)
            current_l2 = ((adv - x) ** 2).flatten(1).sum(dim=1)
            outputs = model(adv)
            one_hot = torch.eye(outputs.shape[1])[y]
            other = torch.max((1 - one_hot) * outputs, dim=1)[0]
            real = torch.max(one_hot * outputs, dim=1)[0]
            f = torch.clamp(real - other, min=-kappa)
            cost = current_l2.sum() + c * f.sum()
            optimizer.zero_grad()
            cost.backward()
            optimizer.step()
            pre = torch.argmax(outputs.detach(), 1)
            mask = (pre != y).float() * (best_l2 > current_l2.detach()).float()
            best_l2 = mask * current_l2.detach() + (1 - mask) * best_l2
            best = mask.view(-1, 1, 1, 1) * adv.detach() + (1 - mask.view(-1, 1, 1, 1)) * best
            if step % max(steps // 10, 1) == 0:
                if cost.item() > prev:
                    break
                prev = cost.item()
        out.append(best.detach())
    return torch.cat(out)


def dlr_loss(z, y):
    """Croce and Hein's difference of logits ratio, per image."""
    z_sorted, ind_sorted = z.sort(dim=1)
    ind = (ind_sorted[:, -1] == y).to(z.dtype)
    z_y = z[torch.arange(z.shape[0]), y]
    return -(z_y - z_sorted[:, -2] * ind - z_sorted[:, -1] * (1.0 - ind)) / (z_sorted[:, -1] - z_sorted[:, -3] + 1e-12)


def apgd_project_l2(x, v, eps, slack):
    d = v - x
    norm = (d ** 2).sum(dim=(1, 2, 3), keepdim=True).sqrt()
    return torch.clamp(x + d / (norm + 1e-12) * torch.clamp(norm + slack, max=eps), 0.0, 1.0)


def apgd_single(model, x, y, start, norm, eps, steps, loss, rho):
    """One APGD run (Croce and Hein 2020, Algorithm 1, with AutoAttack's checkpoints and projections)."""
    n_iter_2, n_iter_min, size_decr = max(int(0.22 * steps), 1), max(int(0.06 * steps), 1), max(int(0.03 * steps), 1)
    criterion = (lambda z, t: F.cross_entropy(z, t, reduction="none")) if loss == "ce" else dlr_loss
    x_adv = start.clone()
    x_best = x_adv.clone()
    x_best_adv = x_adv.clone()
    loss_steps = torch.zeros([steps, x.shape[0]])

    def evaluate(point):
        point = point.clone().requires_grad_(True)
        logits = model(point)
        loss_indiv = criterion(logits, y)
        (g,) = torch.autograd.grad(loss_indiv.sum(), point)
        return logits.detach(), loss_indiv.detach(), g.detach()

    logits, loss_indiv, grad = evaluate(x_adv)
    grad_best = grad.clone()
    acc = logits.max(1)[1] == y
    loss_best = loss_indiv.clone()
    step_size = torch.full([x.shape[0], 1, 1, 1], 2.0 * eps)
    x_adv_old = x_adv.clone()
    counter3 = 0
    k = n_iter_2
    loss_best_last_check = loss_best.clone()
    reduced_last_check = np.ones(x.shape[0], dtype=bool)
    for i in range(steps):
        grad2 = x_adv - x_adv_old
        x_adv_old = x_adv.clone()
        a = 0.75 if i > 0 else 1.0
        if norm == "linf":
            z = torch.clamp(torch.min(torch.max(x_adv + step_size * torch.sign(grad), x - eps), x + eps), 0.0, 1.0)
            x_adv = torch.clamp(torch.min(torch.max(x_adv + (z - x_adv) * a + grad2 * (1 - a), x - eps), x + eps),
                                0.0, 1.0)
        else:
            z = x_adv + step_size * grad / ((grad ** 2).sum(dim=(1, 2, 3), keepdim=True).sqrt() + 1e-12)
            z = apgd_project_l2(x, z, eps, 0.0)
            x_adv = apgd_project_l2(x, x_adv + (z - x_adv) * a + grad2 * (1 - a), eps, 1e-12)
        logits, loss_indiv, grad = evaluate(x_adv)
        pred = logits.max(1)[1] == y
        acc = torch.min(acc, pred)
        x_best_adv[~pred] = x_adv[~pred]
        loss_steps[i] = loss_indiv
        better = loss_indiv > loss_best
        x_best[better] = x_adv[better]
        grad_best[better] = grad[better]
        loss_best[better] = loss_indiv[better]
        counter3 += 1
        if counter3 == k:
            ls = loss_steps.numpy()
            t = np.zeros(x.shape[0])
            for c in range(k):
                t += ls[i - c] > ls[i - c - 1]  # at the first checkpoint, index -1 is the table's last (zero) row
            oscillation = t <= k * rho
            no_improvement = (~reduced_last_check) * (loss_best_last_check.numpy() >= loss_best.numpy())
            reduce = oscillation | no_improvement
            reduced_last_check = reduce.copy()
            loss_best_last_check = loss_best.clone()
            if reduce.any():
                r = torch.from_numpy(reduce)
                step_size[r] /= 2.0
                x_adv[r] = x_best[r]
                grad[r] = grad_best[r]
            counter3 = 0
            k = max(k - size_decr, n_iter_min)
    return x_best_adv, acc


def apgd(model, x, y, delta, norm="linf", eps=8 / 255, steps=10, loss="ce", rho=0.75):
    """Untargeted APGD with one start, x + delta clamped (delta drawn by netvis, as torch.rand would be):
    the images the model gets wrong at the start are left as they are, the others get their last fooling
    point, or stay."""
    with torch.no_grad():
        acc = model(x).max(1)[1] == y
    adv = x.clone()
    idx = acc.nonzero().squeeze(1)
    if idx.numel() > 0:
        start = torch.clamp(x[idx] + delta[idx], 0.0, 1.0)
        best_adv, acc_curr = apgd_single(model, x[idx], y[idx], start, norm, eps, steps, loss, rho)
        fooled = ~acc_curr
        adv[idx[fooled]] = best_adv[fooled]
    return adv


def square_margin_and_loss(model, x, y):
    """The margin loss of AutoAttack's square.py, untargeted: the label's logit less the largest other one."""
    logits = model(x)
    u = torch.arange(x.shape[0])
    y_corr = logits[u, y].clone()
    logits[u, y] = -float("inf")
    y_others = logits.max(dim=-1)[0]
    return y_corr - y_others, y_corr - y_others


def square_p(it, n_queries, p_init):
    """The paper's schedule of the square's area, the iteration rescaled to 10,000 queries."""
    it = int(it / n_queries * 10000)
    for k, bound in reversed(list(enumerate([10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000]))):
        if it > bound:
            return p_init / 2 ** (k + 1)
    return p_init


def square_search(model, x, y, start, propose, n_queries):
    """torchattacks' Square perturb and attack_single_run (untargeted, margin loss, one restart) around a
    norm's moves: start(idx, xs) gives the starting points of the images the model gets right (idx, their
    indices), propose(i_iter, idx, fool, x_curr, x_best_curr) a query's candidates for those not yet
    fooled. Returns the adversarial images (the clean image where the attack fails) and each image's
    query count."""
    with torch.no_grad():
        adv = x.clone()
        queries = np.zeros(x.shape[0], dtype=np.int64)
        idx = (model(x).max(1)[1] == y).nonzero().squeeze(1)
        if idx.numel() == 0:
            return adv, queries
        xs, ys = x[idx], y[idx]
        x_best = start(idx, xs)
        margin_min, loss_min = square_margin_and_loss(model, x_best, ys)
        n_q = torch.ones(idx.numel())
        for i_iter in range(n_queries):
            fool = (margin_min > 0.0).nonzero().squeeze(1)
            if fool.numel() == 0:
                break
            x_curr, x_best_curr = xs[fool], x_best[fool]
            x_new = propose(i_iter, idx, fool, x_curr, x_best_curr)
            margin, loss = square_margin_and_loss(model, x_new, ys[fool])
            loss_min_curr, margin_min_curr = loss_min[fool], margin_min[fool]
            improved = (loss < loss_min_curr).float()
            loss_min[fool] = improved * loss + (1.0 - improved) * loss_min_curr
            improved = torch.max(improved, (margin <= 0.0).float())
            margin_min[fool] = improved * margin + (1.0 - improved) * margin_min_curr
            improved = improved.reshape(-1, 1, 1, 1)
            x_best[fool] = improved * x_new + (1.0 - improved) * x_best_curr
            n_q[fool] += 1.0
        fooled = model(x_best).max(1)[1] != ys
        adv[idx[fooled]] = x_best[fooled]
        queries[idx.numpy()] = n_q.numpy().astype(np.int64)
    return adv, queries


def square(model, x, y, stripes, tops, lefts, signs, eps, n_queries, p_init=0.8):
    """The Square attack, L-inf, with each image's draws given: stripes (N, C, 1, W) of +-1, and per
    iteration the square's top row, left column and a sign per channel (torchattacks draws one square
    for the whole batch)."""
    n, c, h, w = x.shape
    n_features = c * h * w

    def start(idx, xs):
        return torch.clamp(xs + eps * stripes[idx], 0.0, 1.0)

    def propose(i_iter, idx, fool, x_curr, x_best_curr):
        s = max(int(round(math.sqrt(square_p(i_iter, n_queries, p_init) * n_features / c))), 1)
        new_deltas = torch.zeros_like(x_curr)
        for j, k in enumerate(fool.tolist()):
            image = idx[k].item()
            vh, vw = int(tops[image, i_iter]), int(lefts[image, i_iter])
            new_deltas[j, :, vh:vh + s, vw:vw + s] = 2.0 * eps * signs[image, i_iter].view(c, 1, 1)
        x_new = x_best_curr + new_deltas
        x_new = torch.min(torch.max(x_new, x_curr - eps), x_curr + eps)
        return torch.clamp(x_new, 0.0, 1.0)

    return square_search(model, x, y, start, propose, n_queries)


def square_eta_rectangles(x, y):
    """torchattacks' eta_rectangles: rings around the centre of an x by y rectangle, 1 / (ring + 1)^2 each."""
    delta = torch.zeros([x, y])
    x_c, y_c = x // 2 + 1, y // 2 + 1
    counter2 = [x_c - 1, y_c - 1]
    for counter in range(0, max(x_c, y_c)):
        delta[max(counter2[0], 0):min(counter2[0] + (2 * counter + 1), x),
              max(0, counter2[1]):min(counter2[1] + (2 * counter + 1), y)] += 1.0 / (
            torch.Tensor([counter + 1]).view(1, 1) ** 2)
        counter2[0] -= 1
        counter2[1] -= 1
    delta /= (delta ** 2).sum(dim=(0, 1), keepdim=True).sqrt()
    return delta


def square_eta(s, transposed):
    """torchattacks' eta: +rings in the upper half, -rings in the lower, normalized; transposed on the coin."""
    delta = torch.zeros([s, s])
    delta[: s // 2] = square_eta_rectangles(s // 2, s)
    delta[s // 2:] = -1.0 * square_eta_rectangles(s - s // 2, s)
    delta /= (delta ** 2).sum(dim=(0, 1), keepdim=True).sqrt()
    if transposed:
        delta = delta.permute([1, 0])
    return delta


def square_l2_norm(x):
    return (x ** 2).view(x.shape[0], -1).sum(-1).sqrt().view(-1, 1, 1, 1)


def square_l2(model, x, y, draws, eps, n_queries, p_init=0.8):
    """The Square attack, L2 (torchattacks' L2 branch), each image's draws given (tile coins and signs of
    the start; per query two corners, eta's coin and a sign per channel), where torchattacks draws them
    for the whole batch."""
    n, c, h, w = x.shape
    n_features = c * h * w

    def start(idx, xs):
        delta_init = torch.zeros_like(xs)
        s = h // 5
        sp_init = (h - s * 5) // 2
        for j, image in enumerate(idx.tolist()):
            tile = 0
            vh = sp_init
            for _ in range(h // s):
                vw = sp_init
                for _ in range(w // s):
                    delta_init[j, :, vh:vh + s, vw:vw + s] += square_eta(s, draws["tile_coins"][image, tile] > 0).view(
                        1, s, s) * draws["tile_signs"][image, tile].view(c, 1, 1)
                    tile += 1
                    vw += s
                vh += s
        return torch.clamp(xs + delta_init / (square_l2_norm(delta_init) + 1e-12) * eps, 0.0, 1.0)

    def propose(i_iter, idx, fool, x_curr, x_best_curr):
        s = max(int(round(math.sqrt(square_p(i_iter, n_queries, p_init) * n_features / c))), 3)
        if s % 2 == 0:
            s += 1
        x_new = torch.empty_like(x_curr)
        for j, k in enumerate(fool.tolist()):
            image = idx[k].item()
            vh, vw = int(draws["top"][image, i_iter]), int(draws["left"][image, i_iter])
            vh2, vw2 = int(draws["top2"][image, i_iter]), int(draws["left2"][image, i_iter])
            delta_curr = x_best_curr[j:j + 1] - x_curr[j:j + 1]
            new_deltas_mask = torch.zeros_like(delta_curr)
            new_deltas_mask[:, :, vh:vh + s, vw:vw + s] = 1.0
            norms_window_1 = (delta_curr[:, :, vh:vh + s, vw:vw + s] ** 2).sum(dim=(-2, -1), keepdim=True).sqrt()
            new_deltas_mask_2 = torch.zeros_like(delta_curr)
            new_deltas_mask_2[:, :, vh2:vh2 + s, vw2:vw2 + s] = 1.0
            norms_image = square_l2_norm(delta_curr)
            mask_image = torch.max(new_deltas_mask, new_deltas_mask_2)
            norms_windows = square_l2_norm(delta_curr * mask_image)
            new_deltas = torch.ones([1, c, s, s])
            new_deltas *= square_eta(s, draws["coins"][image, i_iter] > 0).view(1, 1, s, s) * draws["signs"][
                image, i_iter].view(1, c, 1, 1)
            old_deltas = delta_curr[:, :, vh:vh + s, vw:vw + s] / (1e-12 + norms_window_1)
            new_deltas += old_deltas
            new_deltas = new_deltas / (1e-12 + (new_deltas ** 2).sum(dim=(-2, -1), keepdim=True).sqrt()) * (
                torch.max((eps * torch.ones_like(new_deltas)) ** 2 - norms_image ** 2, torch.zeros_like(new_deltas))
                / c + norms_windows ** 2).sqrt()
            delta_curr[:, :, vh2:vh2 + s, vw2:vw2 + s] = 0.0
            delta_curr[:, :, vh:vh + s, vw:vw + s] = new_deltas + 0
            x_new[j] = torch.clamp(x_curr[j:j + 1] + delta_curr / (square_l2_norm(delta_curr) + 1e-12) * eps,
                                   0.0, 1.0)[0]
        return x_new

    return square_search(model, x, y, start, propose, n_queries)


APGD_SETTINGS = {"apgd_linf_ce": ("linf", 8 / 255, "ce"), "apgd_linf_dlr": ("linf", 8 / 255, "dlr"),
                 "apgd_l2_ce": ("l2", 1.0, "ce")}


def main():
    model_path, pixels_path, labels_path, out = sys.argv[1:5]
    os.makedirs(out, exist_ok=True)
    model = load(model_path)
    x = torch.from_numpy(np.load(pixels_path).astype(np.float32))
    y = torch.from_numpy(np.load(labels_path).astype(np.int64))
    np.save(os.path.join(out, "fgsm.npy"), fgsm(model, x, y).numpy())
    np.save(os.path.join(out, "pgd_linf.npy"), pgd_linf(model, x, y).numpy())
    np.save(os.path.join(out, "pgd_l2.npy"), pgd_l2(model, x, y).numpy())
    np.save(os.path.join(out, "pgd_l2_1.npy"), pgd_l2(model, x, y, steps=1).numpy())
    # The same step in float64: the exact answer that both float32 implementations are judged by.
    np.save(os.path.join(out, "pgd_l2_1_float64.npy"), pgd_l2(load(model_path).double(), x.double(), y, steps=1).numpy())
    # PGD is chaotic in float32: the same attack from a start moved by 1e-6 ends elsewhere. These runs
    # measure how far PyTorch is from itself, which bounds what two implementations can agree on.
    gen = torch.Generator().manual_seed(0)
    moved = torch.clamp(x + 1e-6 * torch.randn(x.shape, generator=gen), 0, 1)
    np.save(os.path.join(out, "pgd_linf_moved_start.npy"), pgd_linf(model, moved, y).numpy())
    np.save(os.path.join(out, "pgd_l2_moved_start.npy"), pgd_l2(model, moved, y).numpy())
    np.save(os.path.join(out, "moved_start.npy"), moved.numpy())
    np.save(os.path.join(out, "mifgsm.npy"), mifgsm(model, x, y).numpy())
    np.save(os.path.join(out, "mifgsm_moved_start.npy"), mifgsm(model, moved, y).numpy())
    adv, taken = deepfool(model, x, y)
    np.save(os.path.join(out, "deepfool.npy"), adv.numpy())
    np.save(os.path.join(out, "deepfool_steps.npy"), taken)
    np.save(os.path.join(out, "cw.npy"), cw(model, x, y).numpy())
    np.save(os.path.join(out, "cw_moved_start.npy"), cw(model, moved, y).numpy())
    for name, (norm, eps, loss) in APGD_SETTINGS.items():
        delta_path = os.path.join(out, name + "_delta.npy")
        if os.path.exists(delta_path):
            delta = torch.from_numpy(np.load(delta_path))
            np.save(os.path.join(out, name + ".npy"), apgd(model, x, y, delta, norm, eps, loss=loss).numpy())
            np.save(os.path.join(out, name + "_moved_start.npy"), apgd(model, moved, y, delta, norm, eps, loss=loss).numpy())
    stripes_path = os.path.join(out, "square_stripes.npy")
    if os.path.exists(stripes_path):
        settings = np.load(os.path.join(out, "square_settings.npy"))
        adv, queries = square(model, x, y, torch.from_numpy(np.load(stripes_path)),
                              np.load(os.path.join(out, "square_top.npy")), np.load(os.path.join(out, "square_left.npy")),
                              torch.from_numpy(np.load(os.path.join(out, "square_signs.npy"))), float(settings[0]),
                              int(settings[1]), float(settings[2]))
        np.save(os.path.join(out, "square.npy"), adv.numpy())
        np.save(os.path.join(out, "square_queries.npy"), queries)
    l2_settings_path = os.path.join(out, "square_l2_settings.npy")
    if os.path.exists(l2_settings_path):
        settings = np.load(l2_settings_path)
        draws = {name: torch.from_numpy(np.load(os.path.join(out, "square_l2_" + name + ".npy")))
                 for name in ["tile_coins", "tile_signs", "top", "left", "top2", "left2", "coins", "signs"]}
        adv, queries = square_l2(model, x, y, draws, float(settings[0]), int(settings[1]), float(settings[2]))
        np.save(os.path.join(out, "square_l2.npy"), adv.numpy())
        np.save(os.path.join(out, "square_l2_queries.npy"), queries)
    print("wrote", out)


if __name__ == "__main__":
    main()

"""The standard zero-cost proxy suite on narank's own networks, all from one seeded initialization.

synflow (Tanaka et al. 2020), snip (Lee et al. 2019), grasp (Wang et al. 2020), grad_norm and
fisher (Turner et al. 2020, as NAS-Bench-Suite-Zero sums them), jacov (Mellor et al. 2020, v1),
nwot (NASWOT, Mellor et al. 2021), plus params and FLOPs of the same network. Written from the
papers; every proxy sees the same network weights (reset before each) and the same images, so
they can be compared with each other and with EZNAS on identical inputs. Higher = better for all.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from narank.threads import torch_rng

SUITE = ("synflow", "snip", "grasp", "grad_norm", "fisher", "jacov", "nwot", "params", "flops")


def _weights(model: nn.Module) -> list[torch.Tensor]:
    """Conv and dense weights: the parameters the pruning-based proxies score."""
    return [m.weight for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(model(x), y)


def synflow(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """sum |theta * dR/dtheta|, R = sum of the outputs of the network with |theta| on an all-ones
    input (data-free). Float64, BN in eval mode with fresh statistics, so R cannot overflow."""
    net = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    ones = torch.ones((1, *x.shape[1:]), dtype=torch.float64)
    weights = _weights(net)
    grads = torch.autograd.grad(net(ones).sum(), weights, allow_unused=True)
    return float(sum((w.detach() * g).abs().sum() for w, g in zip(weights, grads) if g is not None))


def snip(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """sum |theta * dL/dtheta| (connection sensitivity) on a minibatch."""
    weights = _weights(model)
    grads = torch.autograd.grad(_loss(model, x, y), weights, allow_unused=True)
    return float(sum((w.detach() * g).abs().sum() for w, g in zip(weights, grads) if g is not None))


def grad_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Sum over layers of the L2 norm of the loss gradient."""
    weights = _weights(model)
    grads = torch.autograd.grad(_loss(model, x, y), weights, allow_unused=True)
    return float(sum(g.norm() for g in grads if g is not None))


def grasp(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """-sum theta * (H g): gradient-signal preservation, H the Hessian of the loss, g its gradient
    (one Hessian-vector product with g held fixed)."""
    weights = _weights(model)
    grads = torch.autograd.grad(_loss(model, x, y), weights, create_graph=True, allow_unused=True)
    pairs = [(w, g) for w, g in zip(weights, grads) if g is not None]
    if not pairs:
        return 0.0
    z = sum((g * g.detach()).sum() for _, g in pairs)
    hg = torch.autograd.grad(z, [w for w, _ in pairs], allow_unused=True)
    return float(-sum((w.detach() * h).sum() for (w, _), h in zip(pairs, hg) if h is not None))


def fisher(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Sum over conv layers and channels of 0.5 * mean over the batch of (sum_hw act * grad)^2,
    act the conv output (Turner et al.'s channel-saliency Fisher estimate)."""
    acts: list[torch.Tensor] = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, out: acts.append(out))
        for m in model.modules()
        if isinstance(m, nn.Conv2d)
    ]
    try:
        loss = _loss(model, x, y)
    finally:
        for h in hooks:
            h.remove()
    grads = torch.autograd.grad(loss, acts, allow_unused=True)
    total = 0.0
    for a, g in zip(acts, grads):
        if g is not None:
            total += float((0.5 * (a.detach() * g).sum(dim=(2, 3)).pow(2).mean(0)).sum())
    return total


def jacov(model: nn.Module, x: torch.Tensor, y: torch.Tensor, k: float = 1e-5) -> float:
    """-sum(log(v + k) + 1/(v + k)), v the eigenvalues of the correlation matrix of the input
    Jacobians (per sample, of the summed outputs): high when inputs are told apart."""
    inp = x.clone().requires_grad_(True)
    (jac,) = torch.autograd.grad(model(inp).sum(), inp)
    j = jac.reshape(len(x), -1).double().numpy()
    with np.errstate(all="ignore"):
        corr = np.corrcoef(j)
    if not np.isfinite(corr).all():
        return math.nan
    v = np.linalg.eigvalsh(corr)
    return float(-np.sum(np.log(np.abs(v) + k) + 1.0 / (np.abs(v) + k)))


def nwot(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """log det K, K[i, j] = number of ReLUs on which samples i and j agree (both on or both off)."""
    codes: list[torch.Tensor] = []
    hooks = [
        m.register_forward_hook(lambda _m, inp, _o: codes.append((inp[0] > 0).flatten(1).double()))
        for m in model.modules()
        if isinstance(m, nn.ReLU)
    ]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    if not codes:
        return math.nan
    c = torch.cat(codes, 1)
    kernel = c @ c.T + (1 - c) @ (1 - c).T
    sign, value = torch.linalg.slogdet(kernel)
    return float(value) if float(sign) > 0 else math.nan


def params(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Trainable parameters of the network (as built, i.e. at the small size)."""
    return float(sum(p.numel() for p in model.parameters() if p.requires_grad))


def flops(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Multiply-accumulates of conv and dense layers for one input image."""
    total = [0.0]

    def count(m: nn.Module, _inp: Any, out: torch.Tensor) -> None:
        if isinstance(m, nn.Conv2d):
            total[0] += m.weight.numel() * out.shape[2] * out.shape[3]
        else:
            total[0] += m.weight.numel()

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            model(x[:1])
    finally:
        for h in hooks:
            h.remove()
    return total[0]


PROXY_FUNCTIONS: dict[str, Callable[[nn.Module, torch.Tensor, torch.Tensor], float]] = {
    "synflow": synflow,
    "snip": snip,
    "grasp": grasp,
    "grad_norm": grad_norm,
    "fisher": fisher,
    "jacov": jacov,
    "nwot": nwot,
    "params": params,
    "flops": flops,
}


def suite_scores(
    cell: Any,
    images: np.ndarray,
    labels: np.ndarray,
    names: tuple[str, ...] = SUITE,
    channels: int = 8,
    cells: int = 1,
    num_classes: int = 10,
    seed: int = 0,
) -> dict[str, float]:
    """The named proxies of one cell: its network built once (seeded), reset before each proxy.

    BN is in train mode (batch statistics) for the data-driven proxies; a numerical failure gives
    NaN for that proxy only.
    """
    from narank.proxies.ntk import single_thread
    from narank.spaces import space_of

    x = torch.as_tensor(images, dtype=torch.float32)
    y = torch.as_tensor(labels, dtype=torch.int64) % num_classes
    out: dict[str, float] = {}
    with single_thread(), torch_rng(seed):
        model = space_of(cell).network(cell, channels=channels, cells=cells, num_classes=num_classes)
        state = copy.deepcopy(model.state_dict())
        for name in names:
            model.load_state_dict(state)
            model.train()
            model.zero_grad(set_to_none=True)
            try:
                value = PROXY_FUNCTIONS[name](model, x, y)
            except (RuntimeError, ValueError, np.linalg.LinAlgError):
                value = math.nan
            out[name] = value if math.isfinite(value) else math.nan
    return out


def zc_proxy(
    cell: Any,
    name: str,
    seed: int = 0,
    batch: int = 8,
    resolution: int = 8,
    channels: int = 8,
    cells: int = 1,
    num_classes: int = 10,
    images: Any = None,
    source: str = "digits",
) -> float:
    """One suite proxy of one cell on `batch` real images (digits unless `images`/`source` given)."""
    from narank.images import load_images

    if images is None:
        x, y = load_images(source, batch, resolution, seed)
    else:
        x = np.asarray(images, dtype=np.float32)
        y = np.arange(len(x))
    return suite_scores(cell, x, y, (name,), channels, cells, num_classes, seed)[name]

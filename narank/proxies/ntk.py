"""TE-NAS trainability: condition number of the NTK J J^T of a small network at initialization."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from narank.errors import InvalidCellError
from narank.threads import torch_rng


@dataclass(frozen=True)
class ProxyResult:
    """A proxy value averaged over initializations; `ok` is False when any init gave nan/inf."""

    value: float
    ok: bool
    per_init: tuple[float, ...]


def small_network(
    cell: object, channels: int | None = None, cells: int = 1, num_classes: int = 10
) -> nn.Module:
    """A thin network for a cell of any space (C=16 default, `cells` per stage), as its space
    builds it; an NB201 supernet spec (a set of ops per edge, for TE-NAS pruning) is built too."""
    from narank.spaces import space_of

    try:
        space = space_of(cell)
    except InvalidCellError:
        from narank.networks.nb201 import build_nb201

        return build_nb201(cell, channels=channels or 16, cells_per_stage=cells, num_classes=num_classes)
    return space.network(cell, channels=channels or 16, cells=cells, num_classes=num_classes)


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread (faster for these small per-sample workloads), then restore."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def gaussian_batch(batch_size: int, resolution: int, seed: int) -> torch.Tensor:
    """A seeded batch of standard-normal images, shape (batch, 3, resolution, resolution)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch_size, 3, resolution, resolution, generator=gen)


def smooth_gaussian_batch(
    batch_size: int, resolution: int, seed: int, channels: int = 3, sigma: float = 1.5
) -> torch.Tensor:
    """Seeded spatially correlated noise: white noise blurred by a Gaussian of `sigma` pixels,
    each channel of each image standardized to zero mean and unit variance. Neighbouring
    pixels are correlated as in natural images (unlike white noise), with no real data."""
    gen = torch.Generator().manual_seed(seed)
    radius = max(1, int(round(3 * sigma)))
    size = resolution + 2 * radius
    noise = torch.randn(batch_size * channels, 1, size, size, generator=gen)
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k1 = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = (k1[:, None] * k1[None, :]) / k1.sum() ** 2
    out = torch.nn.functional.conv2d(noise, kernel[None, None])
    out = out.reshape(batch_size, channels, resolution, resolution)
    if resolution > 1:
        out = out - out.mean(dim=(2, 3), keepdim=True)
        out = out / out.std(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    else:
        out = out / out.std().clamp_min(1e-6)
    return out


def synthetic_batch(
    kind: str, batch_size: int, resolution: int, seed: int, channels: int = 3
) -> torch.Tensor:
    """`gaussian` (white noise) or `smooth` (Gaussian-blurred noise) inputs, seeded."""
    if kind == "gaussian":
        gen = torch.Generator().manual_seed(seed)
        return torch.randn(batch_size, channels, resolution, resolution, generator=gen)
    if kind == "smooth":
        return smooth_gaussian_batch(batch_size, resolution, seed, channels)
    raise InvalidCellError(f"unknown input kind {kind!r}; use 'gaussian' or 'smooth'")


def kaiming_init(model: nn.Module, mode: str = "fan_in") -> nn.Module:
    """TE-NAS initialization: Kaiming-normal conv/dense weights (ReLU gain, `mode` fan_in
    for forward signals, fan_out for backward ones), zero biases, BN weight 1 and bias 0."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode=mode, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def ntk_gram_train_bn(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Theta = J J^T as TE-NAS computes it: BN in train mode on the whole batch (so each
    sample's gradient flows through the batch statistics too), J the gradient of each
    sample's summed logits w.r.t. the weight tensors (conv, BN and dense weights, no biases).
    One forward, then one backward per sample through the shared graph. Parameters that get
    no gradient (masked-out supernet ops) contribute nothing."""
    model.train()
    weights = [p for name, p in model.named_parameters() if "weight" in name]
    out = model(x).sum(1)
    rows = []
    for i in range(len(x)):
        grads = torch.autograd.grad(out[i], weights, retain_graph=i < len(x) - 1,
                                    allow_unused=True)
        rows.append(torch.cat([g.reshape(-1) for g in grads if g is not None]))
    jac = torch.stack(rows).double()
    return jac @ jac.T


def _check_images(images: torch.Tensor) -> torch.Tensor:
    if images.ndim != 4 or images.shape[1] != 3:
        raise InvalidCellError(
            f"images must have shape (batch, 3, H, W), got {tuple(images.shape)}; "
            "pass a batch of RGB images as a float tensor"
        )
    return images.float()


def freeze_batch_stats(model: nn.Module, x: torch.Tensor) -> None:
    """Run one train-mode forward so BN running stats equal this batch's, then switch to eval."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = 1.0
    model.train()
    with torch.no_grad():
        model(x)
    model.eval()


def ntk_gram(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Theta = J J^T, J the per-sample gradient of the summed logits w.r.t. all weights.

    Batch-norm uses this batch's statistics as constants (no gradient through them), so the
    per-sample gradients are computed in one vectorized pass.
    """
    from torch.func import functional_call, grad, vmap

    freeze_batch_stats(model, x)
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def summed_logits(p: dict[str, torch.Tensor], xi: torch.Tensor) -> torch.Tensor:
        return functional_call(model, (p, buffers), (xi.unsqueeze(0),)).sum()

    grads = vmap(grad(summed_logits), in_dims=(None, 0))(params, x)
    jac = torch.cat([g.reshape(len(x), -1) for g in grads.values()], dim=1).double()
    return jac @ jac.T


def condition_number(gram: torch.Tensor) -> float:
    """lambda_max / lambda_min of a symmetric matrix; inf if lambda_min <= 0, nan if not finite."""
    if not torch.isfinite(gram).all():
        return math.nan
    eig = torch.linalg.eigvalsh(gram)
    lo, hi = float(eig[0]), float(eig[-1])
    if hi <= 0 or not math.isfinite(hi):
        return math.nan
    return hi / lo if lo > 0 else math.inf


def _average(values: list[float]) -> ProxyResult:
    ok = all(math.isfinite(v) for v in values)
    if ok:
        value = sum(values) / len(values)
    elif any(math.isnan(v) for v in values):
        value = math.nan
    else:
        value = math.inf
    return ProxyResult(value, ok, tuple(values))


def ntk_condition_number(
    cell: object,
    seed: int = 0,
    n_inits: int = 3,
    batch_size: int = 64,
    channels: int = 8,
    resolution: int = 16,
    num_classes: int = 10,
    images: torch.Tensor | None = None,
) -> ProxyResult:
    """Mean NTK condition number over `n_inits` seeded inits (lower = more trainable).

    Thin network: `channels` wide, one cell per stage; a seeded Gaussian batch unless
    `images` (batch, 3, H, W) is given. Non-finite inits make the value nan/inf, `ok` False.
    """
    x = gaussian_batch(batch_size, resolution, seed) if images is None else _check_images(images)
    values = []
    with single_thread(), torch_rng():
        for k in range(n_inits):
            torch.manual_seed(seed * 1000 + k)
            model = small_network(cell, channels, 1, num_classes)
            try:
                values.append(condition_number(ntk_gram(model, x)))
            except (RuntimeError, torch.linalg.LinAlgError):
                values.append(math.nan)
    return _average(values)

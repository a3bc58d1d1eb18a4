"""TE-NAS expressivity: distinct ReLU activation patterns of a thin network over random inputs."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from narank.proxies.ntk import (
    ProxyResult,
    _average,
    _check_images,
    gaussian_batch,
    single_thread,
    small_network,
)
from narank.threads import torch_rng


def activation_patterns(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """One row of packed bits per input: the on/off state of every ReLU unit."""
    codes: list[torch.Tensor] = []

    def hook(_module: nn.Module, _inputs: object, out: torch.Tensor) -> None:
        codes.append((out > 0).reshape(len(out), -1))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            out = model(x)
    finally:
        for h in handles:
            h.remove()
    if not torch.isfinite(out).all():
        raise FloatingPointError("non-finite network output")
    bits = torch.cat(codes, dim=1).numpy() if codes else np.zeros((len(x), 0), bool)
    return np.packbits(bits, axis=1)


def count_regions(patterns: np.ndarray) -> int:
    """Number of distinct activation patterns (rows)."""
    if patterns.shape[1] == 0:
        return 1
    return len(np.unique(patterns, axis=0))


def linear_regions(
    cell: object,
    seed: int = 0,
    n_inits: int = 3,
    n_samples: int = 1000,
    channels: int = 1,
    resolution: int = 3,
    images: torch.Tensor | None = None,
) -> ProxyResult:
    """Mean number of linear regions over seeded inits (higher = more expressive).

    Thin network (`channels` wide, one cell per stage) on `n_samples` seeded Gaussian inputs
    of `resolution`^2 pixels unless `images` is given; failed inits give nan with `ok` False.
    """
    x = gaussian_batch(n_samples, resolution, seed) if images is None else _check_images(images)
    values = []
    with single_thread(), torch_rng():
        for k in range(n_inits):
            torch.manual_seed(seed * 1000 + k)
            model = small_network(cell, channels, 1, 10).train()
            try:
                values.append(float(count_regions(activation_patterns(model, x))))
            except (RuntimeError, FloatingPointError):
                values.append(math.nan)
    return _average(values)

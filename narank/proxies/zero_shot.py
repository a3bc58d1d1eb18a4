"""Zero-shot search (no accuracy queries): best cell by SED (any enumerable space), and TE-NAS
pruning of the NB201 supernet."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from narank.errors import NarankError
from narank.proxies.linear_regions import activation_patterns, count_regions
from narank.proxies.ntk import (
    condition_number,
    kaiming_init,
    ntk_gram_train_bn,
    single_thread,
    synthetic_batch,
)
from narank.proxies.sed import sed_scores
from narank.spaces import SearchSpace, get_space
from narank.spaces.nb201 import NUM_CLASSES, OPS, NB201Cell, NB201Space, dataset_name
from narank.threads import torch_rng


def sed_search(dataset: str | None = None, seed: int = 0, space: str | SearchSpace = "nb201"):
    """The cell of `space` with the highest SED (data-free; the same cell for every dataset)."""
    space = get_space(space)
    space.dataset(dataset)
    cells = space.enumerate()
    if cells is None:
        raise NarankError(f"SED zero-shot search scores every cell: {space.name} cannot be listed "
                          "in full; rank a sample with `narank proxies --proxy sed` instead")
    return cells[int(np.argmax(sed_scores(cells)))]


def _rank(values: list[float], descending: bool) -> np.ndarray:
    """Ranks 0 = best; nan counts as worst."""
    arr = np.array(values, dtype=float)
    arr = np.where(np.isnan(arr), -np.inf if descending else np.inf, arr)
    order = np.argsort(-arr if descending else arr, kind="stable")
    ranks = np.empty(len(arr))
    ranks[order] = np.arange(len(arr))
    return ranks


def _round_sig(x: float, digits: int) -> float:
    """`x` rounded to `digits` significant figures (TE-NAS compares changes at this precision)."""
    if not math.isfinite(x) or x == 0:
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def _dense_rank(values: list[float], descending: bool) -> np.ndarray:
    """Dense ranks 0 = best, equal values share a rank (ties after rounding); nan is worst."""
    arr = np.array(values, dtype=float)
    arr = np.where(np.isnan(arr), -np.inf if descending else np.inf, arr)
    key = -arr if descending else arr
    distinct = np.unique(key)
    return np.searchsorted(distinct, key).astype(float)


def _relative_change(base: float, value: float) -> float:
    """(base - value) / base; nan when either is not finite or base is 0."""
    if not (math.isfinite(base) and math.isfinite(value)) or base == 0:
        return math.nan
    return (base - value) / base


def _supernet(alive: list[list[str]], channels: int, num_classes: int, thin: bool):
    from narank.networks.nb201 import NB201Network, ThinCellNetwork

    ops = tuple(tuple(o) for o in alive)
    if thin:
        return ThinCellNetwork(ops, channels, num_classes)
    return NB201Network(ops, channels, 1, num_classes)


def _kappa(net: torch.nn.Module, x: torch.Tensor) -> float:
    try:
        return condition_number(ntk_gram_train_bn(net, x))
    except (RuntimeError, torch.linalg.LinAlgError):
        return math.nan


def _regions(thin: torch.nn.Module, x: torch.Tensor) -> float:
    try:
        return float(count_regions(activation_patterns(thin, x)))
    except (RuntimeError, FloatingPointError):
        return math.nan


def _deltas(
    alive: list[list[str]],
    candidates: list[tuple[int, str]],
    *,
    seed: int,
    round_: int,
    n_inits: int,
    num_classes: int,
    batch_size: int,
    channels: int,
    resolution: int,
    lr_samples: int,
    lr_resolution: int,
    inputs: str,
) -> tuple[list[float], list[float]]:
    """Mean relative changes of NTK kappa and #regions when each candidate op is masked out.

    Per repeat: one seeded init of the supernet (Kaiming fan_out) and of the thin one-cell
    supernet (Kaiming fan_in); every candidate is the same network with one op masked, so it
    shares all weights and sees the same input batch as the unpruned supernet."""
    from narank.networks.nb201 import set_active_ops

    dk = np.zeros((n_inits, len(candidates)))
    dr = np.zeros((n_inits, len(candidates)))
    for k in range(n_inits):
        rseed = seed * 100_003 + round_ * 1_009 + k
        torch.manual_seed(rseed)
        net = kaiming_init(_supernet(alive, channels, num_classes, thin=False), "fan_out")
        thin = kaiming_init(_supernet(alive, 1, num_classes, thin=True), "fan_in").train()
        x = synthetic_batch(inputs, batch_size, resolution, rseed)
        x_lr = synthetic_batch(inputs, lr_samples, lr_resolution, rseed + 7, channels=1)

        set_active_ops(net, alive)
        set_active_ops(thin, alive)
        k_base, r_base = _kappa(net, x), _regions(thin, x_lr)
        for c, (e, op) in enumerate(candidates):
            pruned = [[o for o in ops if i != e or o != op] for i, ops in enumerate(alive)]
            set_active_ops(net, pruned)
            set_active_ops(thin, pruned)
            dk[k, c] = _relative_change(k_base, _kappa(net, x))
            dr[k, c] = _relative_change(r_base, _regions(thin, x_lr))
    return list(dk.mean(0)), list(dr.mean(0))


def tenas_search(
    dataset: str = "cifar10",
    seed: int = 0,
    n_inits: int = 3,
    progress: Callable[[str], None] | None = None,
    *,
    include_none: bool = False,
    batch_size: int = 32,
    channels: int = 3,
    resolution: int = 16,
    lr_samples: int = 3000,
    lr_resolution: int = 3,
    inputs: str = "gaussian",
    precision: int = 3,
    space: str | SearchSpace = "nb201",
) -> NB201Cell:
    """TE-NAS pruning search on NB201, data-free (synthetic `inputs`, no accuracy queries).

    As the official TE-NAS code does: `none` is pruned before the first round (unless
    `include_none`); the supernet averages the ops alive on each edge (equal architecture
    weights). Each round, every alive op on every edge with >1 op is masked in turn and
    scored by the relative change of the NTK condition number, (kappa - kappa') / kappa
    (higher = pruning helps trainability), of a C=`channels`, 1-cell-per-stage supernet with
    train-mode BN on a `batch_size` x `resolution`^2 batch, and by the relative change of
    the number of linear regions, (R - R') / R (lower = pruning costs less expressivity), of
    a one-cell C=1 network on `lr_samples` 1 x `lr_resolution`^2 inputs; both averaged over
    `n_inits` inits and rounded to `precision` significant figures. All candidates of the
    round are dense-ranked by each change and, on each edge, the op with the lowest rank
    sum (ties: better NTK rank) is removed, until one op per edge is left.
    """
    if not isinstance(get_space(space), NB201Space):
        raise NarankError(f"TE-NAS pruning needs the NB201 supernet; it is not defined for {space}")
    num_classes = NUM_CLASSES[dataset_name(dataset)]
    alive: list[list[str]] = [[o for o in OPS if include_none or o != "none"] for _ in range(6)]
    round_ = 0
    with single_thread(), torch_rng():
        while any(len(ops) > 1 for ops in alive):
            round_ += 1
            candidates = [(e, op) for e, ops in enumerate(alive) if len(ops) > 1 for op in ops]
            dk, dr = _deltas(
                alive, candidates, seed=seed, round_=round_, n_inits=n_inits,
                num_classes=num_classes, batch_size=batch_size, channels=channels,
                resolution=resolution, lr_samples=lr_samples, lr_resolution=lr_resolution,
                inputs=inputs,
            )
            rk = _dense_rank([_round_sig(v, precision) for v in dk], descending=True)
            rr = _dense_rank([_round_sig(v, precision) for v in dr], descending=False)
            score = rk + rr
            for e in range(6):
                on_edge = [i for i, (edge, _) in enumerate(candidates) if edge == e]
                if on_edge:
                    best = min(on_edge, key=lambda i: (score[i], rk[i], i))
                    alive[e].remove(candidates[best][1])
            if progress is not None:
                progress(f"round {round_}: {[len(ops) for ops in alive]} ops left per edge")
    return NB201Cell(tuple(ops[0] for ops in alive))

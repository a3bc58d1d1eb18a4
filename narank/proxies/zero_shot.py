"""Zero-shot search on NB201 (no accuracy queries): best cell by SED, and TE-NAS pruning."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from narank.proxies.linear_regions import linear_regions
from narank.proxies.ntk import ntk_condition_number
from narank.proxies.sed import sed_nb201
from narank.spaces.nb201 import OPS, NB201Cell, all_cells, all_ops_matrix, dataset_name

NUM_CLASSES = {"cifar10": 10, "cifar100": 100, "imagenet16_120": 120}


def sed_search(dataset: str = "cifar10", seed: int = 0) -> NB201Cell:
    """The NB201 cell with the highest SED (data-free; the same cell for every dataset)."""
    dataset_name(dataset)
    scores = sed_nb201(all_ops_matrix().astype(np.int64))
    return all_cells()[int(np.argmax(scores))]


def _rank(values: list[float], descending: bool) -> np.ndarray:
    """Ranks 0 = best; nan counts as worst."""
    arr = np.array(values, dtype=float)
    arr = np.where(np.isnan(arr), -np.inf if descending else np.inf, arr)
    order = np.argsort(-arr if descending else arr, kind="stable")
    ranks = np.empty(len(arr))
    ranks[order] = np.arange(len(arr))
    return ranks


def tenas_search(
    dataset: str = "cifar10",
    seed: int = 0,
    n_inits: int = 3,
    progress: Callable[[str], None] | None = None,
) -> NB201Cell:
    """TE-NAS pruning: start with all ops on all edges; each round, on each edge, remove the op
    whose removal ranks best by NTK condition number (low) plus linear regions (high)."""
    num_classes = NUM_CLASSES[dataset_name(dataset)]
    alive: list[list[str]] = [list(OPS) for _ in range(6)]
    round_ = 0
    while any(len(ops) > 1 for ops in alive):
        round_ += 1
        candidates: list[tuple[int, str]] = []
        kappas: list[float] = []
        regions: list[float] = []
        for e, ops in enumerate(alive):
            if len(ops) == 1:
                continue
            for op in ops:
                pruned = tuple(tuple(o for o in alive[k] if k != e or o != op) for k in range(6))
                candidates.append((e, op))
                kappas.append(
                    ntk_condition_number(
                        pruned, seed=seed, n_inits=n_inits, num_classes=num_classes
                    ).value
                )
                regions.append(linear_regions(pruned, seed=seed, n_inits=n_inits).value)
        score = _rank(kappas, descending=False) + _rank(regions, descending=True)
        for e in range(6):
            on_edge = [i for i, (edge, _) in enumerate(candidates) if edge == e]
            if on_edge:
                best = min(on_edge, key=lambda i: (score[i], _rank(kappas, False)[i]))
                alive[e].remove(candidates[best][1])
        if progress is not None:
            progress(f"round {round_}: {[len(ops) for ops in alive]} ops left per edge")
    return NB201Cell(tuple(ops[0] for ops in alive))

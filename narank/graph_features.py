"""Graph-level (per-cell) features: a registry the tabular baselines and the ranker both use.

`graf` is the GRAF vector (`narank.graf`); `params` / `flops` are log10 of the whole network's
costs; `sed` is the cell's SED score. All are free: computed from the cell alone, for every
cell of a space, never from a label. Names are checked early (`check_graph_features`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from narank.errors import NarankError
from narank.graf import graf_features, graf_names
from narank.proxies.sed import sed_scores
from narank.spaces import get_space
from narank.spaces.base import SearchSpace

#: fn(space, cells, dataset, memo) -> [n, width]; `memo` is shared by the features of one call
GraphFeatureFn = Callable[[SearchSpace, Sequence[Any], str, dict], np.ndarray]


def _costs(space: SearchSpace, cells: Sequence[Any], dataset: str, memo: dict, key: str) -> np.ndarray:
    if "cell_features" not in memo:  # params and flops come from one pass over the cells
        memo["cell_features"] = space.cell_features(cells, dataset)
    values = np.asarray(memo["cell_features"][key], dtype=float)
    return np.log10(np.maximum(values, 1e-6))[:, None]


def _sed(space: SearchSpace, cells: Sequence[Any], dataset: str, memo: dict) -> np.ndarray:
    return sed_scores(cells)[:, None]


#: name -> (fn(space, cells, dataset, memo) -> [n, width], column names of a space)
GRAPH_FEATURES: dict[str, tuple[GraphFeatureFn, Callable[[SearchSpace], list[str]]]] = {
    "graf": (lambda space, cells, dataset, memo: graf_features(space, cells), graf_names),
    "params": (lambda space, cells, dataset, memo: _costs(space, cells, dataset, memo, "params_M"),
               lambda space: ["log10_params_M"]),
    "flops": (lambda space, cells, dataset, memo: _costs(space, cells, dataset, memo, "flops_M"),
              lambda space: ["log10_flops_M"]),
    "sed": (_sed, lambda space: ["sed"]),
}


#: every graph feature, in registry order (the ranker's full set, pretraining's targets)
ALL_GRAPH_FEATURES = tuple(GRAPH_FEATURES)


def check_graph_features(names: Iterable[str]) -> tuple[str, ...]:
    """Validate graph-feature names, naming the unknown ones and the choices."""
    names = tuple(n for n in names if n)
    unknown = [n for n in names if n not in GRAPH_FEATURES]
    if unknown:
        raise NarankError(f"unknown graph feature(s) {unknown}; choose from {sorted(GRAPH_FEATURES)}")
    return names


def graph_feature_names(space: SearchSpace | str, names: Sequence[str]) -> list[str]:
    """Column names of `graph_features(space, cells, dataset, names)`."""
    space = get_space(space)
    return [col for n in check_graph_features(names) for col in GRAPH_FEATURES[n][1](space)]


def graph_features(space: SearchSpace | str, cells: Sequence[Any], dataset: str | None,
                   names: Sequence[str]) -> np.ndarray:
    """The named per-cell features side by side, [len(cells), len(graph_feature_names)] float64."""
    space = get_space(space)
    names = check_graph_features(names)
    dataset = space.dataset(dataset)
    cells = list(cells)
    if not names:
        return np.zeros((len(cells), 0))
    memo: dict[str, Any] = {}
    return np.concatenate([np.asarray(GRAPH_FEATURES[n][0](space, cells, dataset, memo), dtype=float)
                           .reshape(len(cells), -1) for n in names], axis=1)
